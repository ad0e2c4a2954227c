"""The rules: facts in, decisions out (raise or clear an alarm), with no database access.

The kinds' own alarms, report intervals and unreachable alarms are facts of their specs
(:class:`assets.kinds.KindSpec`); the ones below are today's.

- **lamp failure**: a luminaire's live state ``fault`` (or a ``lamp_failure`` event); clears when it says ``ok``.
- **cabinet trip**: a cabinet's ``cabinet_trip`` / ``trip`` event, live state ``fault`` or value ``tripped``
  true; clears on a ``cabinet_reset`` / ``reset`` event or live state ``ok`` (and not ``tripped``).
- **meter unreachable**: an energy meter's live state ``unreachable`` (the Modbus poller sets it); clears when
  it answers again. Another kind ``unreachable`` raises ``device_silent`` (reason ``unreachable``).
- **device silent**: nothing heard for ``silence_factor`` × its expected interval (``live_state.expected_interval_s``,
  else :func:`default_intervals_s` by kind); clears when it is heard again.
- **sensor threshold**: a value (or its mean over a window) beyond a threshold of its sensor type; clears once
  every value is back inside by the hysteresis.
- **vehicle outside its zone**: farther than a tolerance from today's communes; clears once back within the
  tolerance less a hysteresis.
- **fibre failure**: a ``link_down`` event naming a fibre node or segment; clears on ``link_up``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from assets.alarms.catalogue import SEVERITY_RANK
from assets.alarms.thresholds import Threshold
from assets.kinds import all_specs, spec_for

SILENCE_FACTOR = 3.0

LINK_DOWN_EVENTS = ("link_down",)
LINK_UP_EVENTS = ("link_up",)


def default_intervals_s() -> dict[str, int]:
    """How often a device of each kind reports when nothing says otherwise (``KindSpec.report_interval_s``:
    lamp controllers every 10 min, sensors every minute, meters polled within 15 min). Kinds without one
    (vehicles: trackers sleep with the engine off; cabinets, cameras, controllers: no periodic report) are
    never judged silent unless their live state gives an ``expected_interval_s``."""
    return {s.name: s.report_interval_s for s in all_specs() if s.report_interval_s is not None}


def alarm_events() -> tuple[str, ...]:
    """Device events the engine reads: the kinds' own alarms' (``KindSpec.fault_alarm``) and the fibre's
    (others, e.g. ``command_ack``, are not alarm matters)."""
    names: dict[str, None] = {}
    for spec in all_specs():
        if spec.fault_alarm is not None:
            names.update(dict.fromkeys((*spec.fault_alarm.raise_events, *spec.fault_alarm.clear_events)))
    return (*names, *LINK_DOWN_EVENTS, *LINK_UP_EVENTS)


@dataclass(frozen=True)
class Decision:
    """Raise or clear the alarm of (``asset_id``, ``type``) for a fact at ``fact_ts``; ``reason``: clear only an
    alarm raised for that reason."""

    action: str
    asset_id: int
    type: str
    fact_ts: dt.datetime
    detail: dict[str, Any] = field(default_factory=dict)
    severity: str | None = None
    reason: str | None = None


def _raise(asset_id: int, alarm_type: str, ts: dt.datetime, **kw: Any) -> Decision:
    return Decision("raise", asset_id, alarm_type, ts, **kw)


def _clear(asset_id: int, alarm_type: str, ts: dt.datetime, **kw: Any) -> Decision:
    return Decision("clear", asset_id, alarm_type, ts, **kw)


@dataclass(frozen=True)
class LiveFact:
    """An asset's live state as the rules need it; ``active``: the types of its active alarms."""

    asset_id: int
    kind: str
    state: str
    state_since: dt.datetime
    state_ts: dt.datetime | None
    in_service: bool = True
    active: frozenset[str] = frozenset()
    silent_reason: str | None = None  # the reason of its active device_silent alarm
    tripped: bool | None = None  # a cabinet's ``tripped`` value (the Modbus poller reads it)


def level_decisions(fact: LiveFact) -> list[Decision]:
    """What an asset's live state says about its alarms (only changes: nothing for what already holds)."""
    out: list[Decision] = []
    said = fact.state_ts  # None: no message told a state (a row started by telemetry or an event): nothing clears
    spec = spec_for(fact.kind)
    unreachable_type = spec.unreachable_alarm
    if fact.state == "unreachable":
        if fact.in_service and unreachable_type not in fact.active:
            out.append(_raise(fact.asset_id, unreachable_type, fact.state_since, detail={"reason": "unreachable"}))
        return out
    if fact.state not in ("ok", "fault"):
        return out
    clears = said is not None
    ours = unreachable_type != "device_silent" or fact.silent_reason == "unreachable"
    if clears and unreachable_type in fact.active and ours:
        out.append(_clear(fact.asset_id, unreachable_type, said, reason="unreachable",  # type: ignore[arg-type]
                          detail={"state": fact.state}))
    if spec.fault_alarm is None:
        return out
    own = spec.fault_alarm.type
    failing = fact.state == "fault" or fact.tripped is True
    if failing and fact.in_service and own not in fact.active:
        out.append(_raise(fact.asset_id, own, fact.state_since, detail={"source": "live_state"}))
    elif clears and not failing and fact.state == "ok" and own in fact.active:
        out.append(_clear(fact.asset_id, own, said, detail={"state": "ok"}))  # type: ignore[arg-type]
    return out


@dataclass(frozen=True)
class EventFact:
    """A device event as the rules need it: the reporting asset and, for ``link_*``, the fibre element named."""

    event_id: int
    asset_id: int
    kind: str
    ts: dt.datetime
    name: str
    detail: dict[str, Any]
    live_state: str | None = None
    live_state_ts: dt.datetime | None = None
    element_id: int | None = None


def event_decisions(event: EventFact) -> list[Decision]:
    """What a device event says about alarms. A failure already contradicted by a newer live state ``ok``
    of the same asset raises nothing (an event read late, after a restart)."""
    detail = {"event": event.name, "event_id": event.event_id}
    if event.detail:
        detail["event_detail"] = event.detail
    newer_ok = (event.live_state == "ok" and event.live_state_ts is not None and event.live_state_ts > event.ts)
    name = event.name
    own = spec_for(event.kind).fault_alarm
    if own is not None and name in own.raise_events:
        return [] if newer_ok else [_raise(event.asset_id, own.type, event.ts, detail=detail)]
    if own is not None and name in own.clear_events:
        return [_clear(event.asset_id, own.type, event.ts, detail=detail)]
    if name in LINK_DOWN_EVENTS and event.element_id is not None:
        return [_raise(event.element_id, "fibre_failure", event.ts, detail={**detail, "reported_by": event.asset_id})]
    if name in LINK_UP_EVENTS and event.element_id is not None:
        return [_clear(event.element_id, "fibre_failure", event.ts, detail=detail)]
    return []


@dataclass(frozen=True)
class Measured:
    """A value a threshold judges: the latest one (``window_s`` 0) or the mean over the window."""

    metric: str
    window_s: int
    value: float


def threshold_decision(
    asset_id: int, ts: dt.datetime, thresholds: Iterable[Threshold], measured: dict[tuple[str, int], float],
    active: bool,
) -> Decision | None:
    """Raise when a value is beyond a limit; clear (when ``active``) once every judged value is back inside by
    its hysteresis; nothing in between (the hysteresis band) or when nothing was measured."""
    crossed: list[dict[str, Any]] = []
    judged = 0
    inside = True
    for th in thresholds:
        value = measured.get((th.metric, th.window_s))
        if value is None:
            continue
        judged += 1
        side = th.crossed(value)
        if side is not None:
            crossed.append({"metric": th.metric, "value": round(value, 3), "side": side,
                            "limit": th.above if side == "above" else th.below, "window_s": th.window_s,
                            "severity": th.severity})
        if not th.back_inside(value):
            inside = False
    if crossed and not active:
        severity = min((c["severity"] for c in crossed), key=SEVERITY_RANK.__getitem__)
        return _raise(asset_id, "sensor_threshold", ts, detail={"crossed": crossed}, severity=severity)
    if active and judged and inside:
        return _clear(asset_id, "sensor_threshold", ts, detail={"values": {f"{m}": round(v, 3)
                                                                           for (m, _w), v in measured.items()}})
    return None


def zone_decision(
    asset_id: int, ts: dt.datetime, distance_m: float | None, tolerance_m: float, hysteresis_m: float, active: bool
) -> Decision | None:
    """``distance_m``: from the vehicle to its zone (0 inside; None: farther than the search radius)."""
    if distance_m is None or distance_m > tolerance_m:
        if active:
            return None
        detail = {"distance_m": None if distance_m is None else round(distance_m), "tolerance_m": tolerance_m}
        return _raise(asset_id, "vehicle_outside_zone", ts, detail=detail)
    if active and distance_m <= max(tolerance_m - hysteresis_m, 0.0):
        return _clear(asset_id, "vehicle_outside_zone", ts, detail={"distance_m": round(distance_m)})
    return None
