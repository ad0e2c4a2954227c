"""Switching a lighting cabinet over Modbus TCP, through the Modbus connector's functions.

The command worker needs one thing of a cabinet: ``switch(asset_id, on)`` → what the contactors read
back (True: all closed, False: all open, ``"mixed"``, or ``"tripped"`` when the breaker is tripped).
:class:`ModbusCabinets` finds the cabinet's controller with ``connectors.modbus.inventory.cabinet_endpoint``
and writes with ``connectors.modbus.client.switch_cabinet`` (which reads the cabinet back). Another
:class:`CabinetControl` can stand in for it (another make of controller, a test).
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import Engine

from assets.errors import CityPilotError, NotFoundError
from connectors.modbus.client import ModbusFailure, switch_cabinet
from connectors.modbus.inventory import cabinet_endpoint


class CabinetError(CityPilotError):
    """The cabinet could not be switched; ``permanent``: trying again will not help (no address, refused)."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        self.permanent = permanent
        super().__init__(reason)


class CabinetControl(Protocol):
    def switch(self, asset_id: int, on: bool) -> Any:
        """Switch the cabinet's contactors; what they read back. CabinetError on failure."""


class ModbusCabinets:
    """Cabinets at the Modbus address the inventory gives (their meter's gateway and unit, or their attrs)."""

    def __init__(self, engine: Engine, timeout_s: float = 2.0) -> None:
        self.engine = engine
        self.timeout_s = timeout_s

    def switch(self, asset_id: int, on: bool) -> Any:
        try:
            with self.engine.connect() as conn:
                where = cabinet_endpoint(conn, asset_id)
        except NotFoundError as exc:
            raise CabinetError(str(exc), permanent=True) from None
        try:
            state = switch_cabinet(where.host, where.port, where.unit_id, on, timeout=self.timeout_s)
        except ModbusFailure as exc:
            raise CabinetError(f"{where}: {exc.reason}", permanent=exc.reachable) from None
        closed = set(state.circuits.values())
        if state.tripped and on:
            return "tripped"
        if len(closed) != 1:
            return "mixed"
        return closed.pop()
