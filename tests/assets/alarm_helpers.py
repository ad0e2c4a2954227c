"""What the alarm tests share: a lighting cabinet with its lamps, a meshed fibre network, live data written
through the real live writer, and the alarm rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, text

from assets.alarms.engine import AlarmEngine, EngineOptions
from assets.db import unit_of_work
from assets.live.records import Event, Position, Reading, Record
from assets.live.writer import LiveWriter
from assets.store import create_asset
from tests.assets.helpers import MINIMAL, line, near


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Cabinet:
    cabinet: int
    lamps: list[int]
    codes: dict[int, str] = field(default_factory=dict)


def lighting_cabinet(engine: Engine, actor: int | None, code: str = "ARM-1", lamps: int = 3, dx: float = 0.0,
                     eui_prefix: str = "70B3D59BA00001", **cabinet: Any) -> Cabinet:
    """A cabinet, one circuit, a pole per lamp, ``lamps`` LoRaWAN luminaires (DevEUIs from ``eui_prefix``)."""
    with unit_of_work(engine, actor) as s:
        cab = create_asset(s, "cabinet", {"code": code, "geom": near(dx), **MINIMAL["cabinet"], **cabinet}).id
        circuit = create_asset(s, "circuit", {"code": f"{code}-C1", "parent_id": cab, "circuit_number": 1}).id
        ids, codes = [], {}
        for i in range(lamps):
            spot = near(dx + 30 * i, 5)
            pole = create_asset(s, "pole", {"code": f"{code}-P{i}", "parent_id": circuit, "geom": spot})
            lamp = create_asset(s, "luminaire", {"code": f"{code}-L{i}", "parent_id": pole.id, "geom": spot,
                                                 "dev_eui": f"{eui_prefix}{i:02X}", **MINIMAL["luminaire"]}).id
            ids.append(lamp)
            codes[lamp] = f"{code}-L{i}"
    return Cabinet(cab, ids, codes)


def meshed_fibre(engine: Engine, actor: int | None) -> dict[str, int]:
    r"""PoP P — A, ring A-B-C-A, branch C — D; a controller on B, a camera on D, a cabinet (with its energy
    meter) on A::

        P ── A ── B
             │  ╱
             C ── D
    """
    ids: dict[str, int] = {}
    spots = {"P": (0, 0), "A": (100, 0), "B": (200, 0), "C": (100, -100), "D": (200, -100)}
    with unit_of_work(engine, actor) as s:
        for name, (dx, dy) in spots.items():
            ids[name] = create_asset(s, "fibre_node", {"code": f"N-{name}", "node_type": "pop" if name == "P" else
                                                       "chamber", "geom": near(dx, dy)}).id
        for a, b in ("PA", "AB", "BC", "CA", "CD"):
            ids[a + b] = create_asset(s, "fibre_segment", {
                "code": f"S-{a}{b}", "from_node_id": ids[a], "to_node_id": ids[b],
                "geom": line(near(*spots[a]), near(*spots[b])), "fibre_count": 24}).id
        ids["ctrl"] = create_asset(s, "signal_controller", {"code": "CTRL-B", "fibre_node_id": ids["B"],
                                                            "geom": near(205, 5), **MINIMAL["signal_controller"]}).id
        ids["cam"] = create_asset(s, "camera", {"code": "CAM-D", "fibre_node_id": ids["D"], "geom": near(205, -95),
                                                **MINIMAL["camera"]}).id
        ids["meter"] = create_asset(s, "energy_meter", {"code": "CPT-A", "geom": near(106, 5),
                                                        **MINIMAL["energy_meter"]}).id
        ids["cab"] = create_asset(s, "cabinet", {"code": "AR-A", "fibre_node_id": ids["A"], "geom": near(105, 5),
                                                 "energy_meter_id": ids["meter"], **MINIMAL["cabinet"]}).id
    return ids


def write(db_url: str, *records: Record) -> None:
    """Store records as the ingest does (one batch, committed, state changes announced)."""
    with LiveWriter(db_url, client="test") as writer:
        writer.write(list(records))


def reading(asset_id: int, ts: dt.datetime, state: str | None = None, **values: Any) -> Reading:
    return Reading(asset_id, ts, values, state)


def event(asset_id: int, ts: dt.datetime, name: str, **detail: Any) -> Event:
    return Event(asset_id, ts, name, detail)


def position(asset_id: int, ts: dt.datetime, lon: float, lat: float) -> Position:
    return Position(asset_id, ts, lon, lat)


def alarm_rows(engine: Engine, **where: Any) -> list[Any]:
    """Alarms (``asset_id``, ``type``, ``state``... equal to the keywords), by id."""
    condition = " AND ".join(f"{k} = :{k}" for k in where) or "true"
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT * FROM alarms WHERE {condition} ORDER BY id"), where).all()


def alarm_engine(engine: Engine, **options: Any) -> AlarmEngine:
    """An engine to step by hand (no gap waiting: tests write one batch at a time)."""
    return AlarmEngine(engine, EngineOptions(**{"gap_wait_s": 0.0, **options}))
