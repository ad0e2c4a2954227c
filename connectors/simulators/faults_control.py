"""Control faults: a lighting cabinet trips (and is reset), a fibre segment or node is cut (and repaired).

**Cabinet trip** (``cabinet-trip CABINET``): the cabinet's controller reports on its own topic (device id =
the cabinet code, ``citypilot/v1/devices/CODE/...``) the event ``cabinet_trip`` and its state ``fault``
(``tripped: true``). The lamps behind it lose their supply. Their LoRaWAN controllers (``citypilot-lc1``)
are powered from the lamp circuit, so — as real nodes with a supercapacitor do — each sends one
*last-gasp* uplink (lamp off, ``lamp_failure`` set, 0 V, 0 W) and then falls silent until power returns
(``params.last_gasp`` false: silent at once, no last gasp). ``cabinet-reset CABINET`` closes the breaker:
the cabinet reports ``cabinet_reset`` and ``ok``, and every controller reports at once as it powers up.

**Fibre cut** (``fibre-cut SEGMENT|NODE``, by asset code): every simulated device that loses all its paths
to a PoP (:func:`assets.alarms.correlation.affected_by`, i.e. :func:`assets.topology.fibre_cut` plus the
meters of what it cuts off) falls silent, and the network reports the failure: a PoP switch (device id =
the code of a PoP fibre node) publishes the event ``link_down`` with ``{"element": CODE, "kind": ...}``.
``fibre-repair`` publishes ``link_up`` and the silenced devices report at once. It needs the inventory
(the simulator's ``engine``).

The cabinets and the network publish with the service account here (a real deployment gives each
cabinet its own broker account, username = its code, which the device ACL pattern limits to its topics).
Other simulated transports take part through hooks: the Modbus cabinet servers set their trip input
(:data:`CABINET_HOOKS`), the Modbus units cut off stop answering (:data:`LINK_HOOKS`). ``clear all`` also
resets every tripped cabinet and repairs every cut.
"""

from __future__ import annotations

import logging
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from assets.alarms.correlation import affected_by
from connectors.simulators.faults import CLEAR_ALL_HOOKS, fault
from connectors.simulators.fleet_model import Device, Fleet, LampDevice, SimulationError
from connectors.simulators.messages import DEVICE_TOPIC, Outgoing, dumps, iso_utc

if TYPE_CHECKING:
    from connectors.simulators.runner import Simulator

log = logging.getLogger(__name__)

#: ``hook(sim, cabinet_code, tripped)``: e.g. the Modbus cabinet server sets its trip input.
CabinetHook = Callable[["Simulator", str, bool], None]
#: ``hook(sim, asset_ids, down)``: e.g. the Modbus units of those assets stop (or resume) answering.
LinkHook = Callable[["Simulator", frozenset[int], bool], None]
CABINET_HOOKS: list[CabinetHook] = []
LINK_HOOKS: list[LinkHook] = []
#: The link the cabinets and the network publish on (the simulator's service-account client).
SERVICE_LINK = "control"


@dataclass(frozen=True, slots=True)
class CabinetTarget:
    """A lighting cabinet named by its code (not a simulated LoRaWAN device)."""

    code: str
    family: str = "cabinet"

    @property
    def key(self) -> str:
        return self.code


@dataclass(frozen=True, slots=True)
class NetworkTarget:
    """A fibre segment or node named by its code."""

    code: str
    family: str = "network"

    @property
    def key(self) -> str:
        return self.code


@dataclass
class _Trip:
    lamps: list[LampDevice]  # the lamps this trip silenced (not those silent already)


@dataclass
class _Cut:
    element: str
    kind: str
    pop: str | None
    asset_ids: frozenset[int]
    silenced: list[Device]


@dataclass
class ControlFaults:
    """The control faults in force on one simulator."""

    trips: dict[str, _Trip] = field(default_factory=dict)
    cuts: dict[str, _Cut] = field(default_factory=dict)


_STATE: weakref.WeakKeyDictionary[Any, ControlFaults] = weakref.WeakKeyDictionary()


def faults_of(sim: Simulator) -> ControlFaults:
    """The cabinet trips and fibre cuts in force on ``sim``."""
    found = _STATE.get(sim)
    if found is None:
        found = _STATE[sim] = ControlFaults()
    return found


def _codes(_fleet: Fleet, targets: list[str], make: type) -> list[Any]:
    codes = [t.strip() for t in targets if t.strip()]
    if not codes:
        raise SimulationError("give at least one asset code")
    return [make(code.upper()) for code in dict.fromkeys(codes)]


def _cabinets(fleet: Fleet, targets: list[str]) -> list[Any]:
    return _codes(fleet, targets, CabinetTarget)


def _elements(fleet: Fleet, targets: list[str]) -> list[Any]:
    return _codes(fleet, targets, NetworkTarget)


def _publish(sim: Simulator, device_id: str, channel: str, family: str, **body: Any) -> None:
    message = {"id": str(uuid.uuid4()), "ts": iso_utc(sim.clock()), **body}
    sim.send(Outgoing(SERVICE_LINK, DEVICE_TOPIC.format(device_id=device_id, channel=channel), dumps(message)), family)


def _call_hooks(hooks: list[Callable[..., None]], *args: Any) -> list[str]:
    problems = []
    for hook in hooks:
        try:
            hook(*args)
        except Exception as exc:  # another transport's failure must not stop the fault
            log.exception("control fault hook %r failed", hook)
            problems.append(f"hook {getattr(hook, '__name__', hook)} failed: {exc}")
    return problems


def _check_cabinet(sim: Simulator, code: str) -> None:
    if sim.engine is not None:
        with sim.engine.connect() as conn:
            found = conn.execute(
                text("SELECT 1 FROM assets WHERE kind = 'cabinet' AND upper(code) = :c AND status <> 'removed'"),
                {"c": code},
            ).first()
        if found is None:
            raise SimulationError(f"{code}: no lighting cabinet has this code")
    elif not sim.fleet.lamps_of_cabinet(code):
        raise SimulationError(f"{code}: no simulated lamp hangs on a cabinet with this code")


# -- cabinets --------------------------------------------------------------------------------------------
@fault("cabinet-trip", "a lighting cabinet's breaker trips: it reports cabinet_trip, its lamps' controllers send a "
       "last gasp and fall silent (params: last_gasp)", ("cabinet",), resolve=_cabinets)
def cabinet_trip(sim: Simulator, targets: list[Any], params: dict[str, Any]) -> list[str]:
    state = faults_of(sim)
    last_gasp = str(params.get("last_gasp", True)).lower() not in ("false", "0", "no")
    lines = []
    for cabinet in targets:
        code = cabinet.code
        if code in state.trips:
            lines.append(f"{code}: already tripped")
            continue
        _check_cabinet(sim, code)
        lamps = [lamp for lamp in sim.fleet.lamps_of_cabinet(code) if lamp.key not in sim.silenced]
        now = sim.clock()
        if last_gasp:
            for lamp in lamps:
                values = {**sim.city.values(lamp, now), "lamp_on": False, "lamp_failure": True, "dim_level": 0,
                          "power_w": 0.0, "voltage_v": 0.0}
                sim.send(sim.city.lora(lamp, now, values), "lamp")
        sim.silenced.update(lamp.key for lamp in lamps)
        _publish(sim, code, "event", "cabinet", event="cabinet_trip",
                 detail={"breaker": "main", "lamps": len(lamps)})
        _publish(sim, code, "state", "cabinet", state="fault", values={"tripped": True})
        state.trips[code] = _Trip(lamps)
        problems = _call_hooks(CABINET_HOOKS, sim, code, True)
        lines.append(f"{code}: tripped; {len(lamps)} lamp controller(s) {'sent a last gasp and ' if last_gasp else ''}"
                     "fell silent" + "".join(f"; {p}" for p in problems))
    return lines


@fault("cabinet-reset", "a tripped cabinet's breaker is closed again: it reports cabinet_reset, its lamps power up "
       "and report", ("cabinet",), resolve=_cabinets)
def cabinet_reset(sim: Simulator, targets: list[Any], params: dict[str, Any]) -> list[str]:
    return [_reset(sim, cabinet.code) for cabinet in targets]


def _reset(sim: Simulator, code: str) -> str:
    trip = faults_of(sim).trips.pop(code, None)
    if trip is None:
        return f"{code}: not tripped"
    _publish(sim, code, "event", "cabinet", event="cabinet_reset", detail={"breaker": "main"})
    _publish(sim, code, "state", "cabinet", state="ok", values={"tripped": False})
    for lamp in trip.lamps:
        sim.silenced.discard(lamp.key)
        sim.report_now(lamp)
    problems = _call_hooks(CABINET_HOOKS, sim, code, False)
    return f"{code}: reset; {len(trip.lamps)} lamp controller(s) powered up and reported" + "".join(
        f"; {p}" for p in problems)


# -- fibre -----------------------------------------------------------------------------------------------
def _cut_off(sim: Simulator, code: str) -> _Cut:
    if sim.engine is None:
        raise SimulationError("fibre cuts need the inventory: this simulator was started without a database")
    with Session(sim.engine) as session:
        element = session.execute(
            text("SELECT id, kind FROM assets WHERE upper(code) = :c AND kind IN ('fibre_segment', 'fibre_node') "
                 "AND status <> 'removed' ORDER BY kind DESC LIMIT 1"),
            {"c": code},
        ).first()
        if element is None:
            raise SimulationError(f"{code}: no fibre segment or node has this code")
        lost = frozenset(affected_by(session, element.id))
        pop = session.execute(
            text("SELECT code FROM assets WHERE kind = 'fibre_node' AND node_type = 'pop' AND status = 'in_service' "
                 "AND id <> :id ORDER BY code LIMIT 1"),
            {"id": element.id},
        ).scalar()
    talking = [*sim.fleet.devices(), *getattr(sim.fleet, "equipment", ())]  # signal controllers, cameras
    silenced = [d for d in talking if d.asset_id in lost and d.key not in sim.silenced]
    return _Cut(code, element.kind, pop, lost, silenced)


@fault("fibre-cut", "a fibre segment or node fails: what loses every path to a PoP falls silent and the PoP "
       "switch reports link_down", ("network",), resolve=_elements)
def fibre_cut(sim: Simulator, targets: list[Any], params: dict[str, Any]) -> list[str]:
    state = faults_of(sim)
    lines = []
    for target in targets:
        if target.code in state.cuts:
            lines.append(f"{target.code}: already cut")
            continue
        cut = _cut_off(sim, target.code)
        sim.silenced.update(d.key for d in cut.silenced)
        if cut.pop is not None:
            _publish(sim, cut.pop, "event", "network", event="link_down",
                     detail={"element": cut.element, "kind": cut.kind, "cut_off": len(cut.asset_ids)})
        state.cuts[target.code] = cut
        problems = _call_hooks(LINK_HOOKS, sim, cut.asset_ids, True)
        reporter = f"{cut.pop} reported link_down" if cut.pop else "no PoP left to report it"
        lines.append(f"{cut.element}: cut; {len(cut.asset_ids)} asset(s) lost every path to a PoP, "
                     f"{len(cut.silenced)} simulated device(s) fell silent; {reporter}"
                     + "".join(f"; {p}" for p in problems))
    return lines


@fault("fibre-repair", "a cut fibre segment or node is repaired: link_up, and what it cut off reports again",
       ("network",), resolve=_elements)
def fibre_repair(sim: Simulator, targets: list[Any], params: dict[str, Any]) -> list[str]:
    return [_repair(sim, target.code) for target in targets]


def _repair(sim: Simulator, code: str) -> str:
    cut = faults_of(sim).cuts.pop(code, None)
    if cut is None:
        return f"{code}: not cut"
    if cut.pop is not None:
        _publish(sim, cut.pop, "event", "network", event="link_up", detail={"element": cut.element, "kind": cut.kind})
    for device in cut.silenced:
        sim.silenced.discard(device.key)
        sim.report_now(device)
    problems = _call_hooks(LINK_HOOKS, sim, cut.asset_ids, False)
    return f"{code}: repaired; {len(cut.silenced)} device(s) reported again" + "".join(f"; {p}" for p in problems)


def _clear_all(sim: Simulator) -> list[str]:
    state = faults_of(sim)
    return [_reset(sim, code) for code in list(state.trips)] + [_repair(sim, code) for code in list(state.cuts)]


CLEAR_ALL_HOOKS.append(_clear_all)
