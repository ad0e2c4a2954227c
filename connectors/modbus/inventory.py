"""Which Modbus units the inventory holds: energy meters (their own ``modbus_host``, ``modbus_port``,
``unit_id`` and ``register_map`` or ``meter_model``) and lighting cabinets.

A cabinet's controller answers behind its energy meter's gateway, at the meter's unit id (a controller
with an integrated meter: the ``citypilot-cabinet`` map never overlaps a meter map); a cabinet's
``attrs`` may say otherwise with ``modbus_host``, ``modbus_port``, ``modbus_unit_id`` and
``register_map``. Either kind may set ``attrs.poll_interval_s`` (seconds) to override its map's
default interval.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from assets.errors import NotFoundError
from connectors.modbus.client import CABINET_MAP, Endpoint

KINDS = ("energy_meter", "cabinet")

_METERS = """
SELECT id, code, modbus_host, modbus_port, unit_id, coalesce(nullif(register_map, ''), meter_model), attrs
FROM assets WHERE kind = 'energy_meter' AND {where}
ORDER BY id
"""
_CABINETS = """
SELECT c.id, c.code, m.modbus_host, m.modbus_port, m.unit_id, NULL, c.attrs
FROM assets c LEFT JOIN assets m ON m.id = c.energy_meter_id AND m.kind = 'energy_meter'
WHERE c.kind = 'cabinet' AND {where}
ORDER BY c.id
"""


@dataclass(frozen=True, slots=True)
class ModbusDevice:
    """An asset read over Modbus: where it answers, with which map, how often (None: the map's default)."""

    asset_id: int
    kind: str
    code: str
    endpoint: Endpoint
    map_name: str
    interval_s: float | None = None


def modbus_devices(
    conn: Connection | Session, kinds: tuple[str, ...] = KINDS, statuses: tuple[str, ...] | None = ("in_service",),
    codes: list[str] | None = None,
) -> tuple[list[ModbusDevice], list[str]]:
    """The Modbus devices of the inventory (of ``statuses``; None: every one not removed) and the
    problems met (a device left out, and why)."""
    where = "c.status <> 'removed'" if statuses is None else "c.status = ANY(:statuses)"
    params: dict[str, Any] = {"statuses": list(statuses or ())}
    if codes:
        where += " AND upper(c.code) = ANY(:codes)"
        params["codes"] = [c.upper() for c in codes]
    devices: list[ModbusDevice] = []
    problems: list[str] = []
    if "energy_meter" in kinds:
        sql = _METERS.format(where=where.replace("c.", ""))
        for row in conn.execute(text(sql), params):
            _add(devices, problems, "energy_meter", row)
    if "cabinet" in kinds:
        for row in conn.execute(text(_CABINETS.format(where=where)), params):
            _add(devices, problems, "cabinet", row)
    return devices, problems


def _add(devices: list[ModbusDevice], problems: list[str], kind: str, row: Any) -> None:
    asset_id, code, host, port, unit, map_name, attrs = row
    attrs = attrs if isinstance(attrs, Mapping) else {}
    if kind == "cabinet":
        host = attrs.get("modbus_host") or host
        port = attrs.get("modbus_port", port)
        unit = attrs.get("modbus_unit_id", unit)
        map_name = attrs.get("register_map") or CABINET_MAP
        if host is None and port is None and unit is None:
            return  # a cabinet with no controller on Modbus: nothing to poll
    missing = [name for name, value in (("host", host), ("port", port), ("unit id", unit), ("register map", map_name))
               if value in (None, "")]
    if missing:
        problems.append(f"{kind} {code}: no Modbus {', '.join(missing)}")
        return
    try:
        port, unit = int(port), int(unit)
    except (TypeError, ValueError):
        problems.append(f"{kind} {code}: Modbus port {port!r} or unit id {unit!r} is not a number")
        return
    if not 1 <= port <= 65535 or not 0 <= unit <= 247:
        problems.append(f"{kind} {code}: Modbus port {port} or unit id {unit} out of range")
        return
    interval = attrs.get("poll_interval_s")
    if interval is not None:
        try:
            interval = float(interval)
            if interval <= 0:
                raise ValueError
        except (TypeError, ValueError):
            problems.append(f"{kind} {code}: attrs.poll_interval_s {attrs['poll_interval_s']!r} is not a number of "
                            "seconds above 0; using the map's default")
            interval = None
    devices.append(ModbusDevice(asset_id, kind, code, Endpoint(str(host), port, unit), str(map_name), interval))


def device_of(conn: Connection | Session, asset_id: int) -> ModbusDevice:
    """The Modbus device of one asset (a meter or a cabinet, whatever its status); NotFoundError when
    it has none."""
    row = conn.execute(text("SELECT kind, code FROM assets WHERE id = :id"), {"id": asset_id}).first()
    if row is None or row[0] not in KINDS:
        raise NotFoundError(f"asset {asset_id} is not an energy meter or a cabinet")
    found, problems = modbus_devices(conn, (row[0],), statuses=None, codes=[row[1]])
    found = [d for d in found if d.asset_id == asset_id]
    if not found:
        raise NotFoundError(f"{row[0]} {row[1]} has no Modbus address" + (f": {problems[0]}" if problems else ""))
    return found[0]


def cabinet_endpoint(conn: Connection | Session, cabinet_id: int) -> Endpoint:
    """Where the cabinet's controller answers (for :func:`connectors.modbus.client.switch_cabinet`...)."""
    device = device_of(conn, cabinet_id)
    if device.kind != "cabinet":
        raise NotFoundError(f"asset {cabinet_id} is not a cabinet")
    return device.endpoint
