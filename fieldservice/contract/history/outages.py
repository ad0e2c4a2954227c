"""The outages of the generated history and what the crews did about them: lamp failures (seen when the
lamps switch on at dusk) and cabinet trips, each an alarm with its history and a work order from it, moved
through the work by the real state machine with the SLA engine's due times (mostly on time, a few late),
the alarm cleared when the crew relit the lamp; and short silences of lamp controllers (cleared by
themselves, mostly within the contract's tolerance). Every alarm carries ``detail.demo_history``; every
order and move is by the ``demo-history`` user — what a re-run deletes."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from assets.alarms.catalogue import severity_for
from assets.errors import CityPilotError
from assets.users import create_user
from fieldservice import orders
from fieldservice.contract.burning import PARIS, night
from fieldservice.contract.history.light import CabinetPlan, Clock
from fieldservice.from_alarms import SEVERITY_PRIORITY

#: Per month, the share of the lamps that fail, fall silent; cabinets that trip.
LAMP_FAILURES = 0.0012
LAMP_SILENCES = 0.0004
CABINET_TRIPS = 0.003
#: The share of orders closed late (on the resolution clock, sometimes the response clock too).
LATE_SHARE = 0.08
#: Outages start at least this long before the window's end, so their orders are closed within it.
SETTLE = dt.timedelta(days=6)

_ALARM = text("""
    INSERT INTO alarms (asset_id, type, severity, state, message, detail, fact_ts, raised_at, acknowledged_at,
                        cleared_at, cleared_fact_ts)
    VALUES (:asset_id, :type, :severity, 'cleared', :message, CAST(:detail AS jsonb), :known, :raised, :acked,
            :cleared, :cleared_fact)
    RETURNING id
""")
_HISTORY = text("""
    INSERT INTO alarm_history (alarm_id, at, action, actor_id, actor, detail)
    VALUES (:alarm_id, :at, :action, NULL, 'rules', CAST(:detail AS jsonb))
""")
_AFFECTED = text("INSERT INTO alarm_affected (alarm_id, asset_id) SELECT :a, unnest(CAST(:ids AS bigint[]))")
_CLEAR = text("UPDATE alarms SET cleared_fact_ts = :fact, cleared_at = :at WHERE id = :id")


@dataclass
class Outages:
    """What was generated, and the minutes each lamp was out and each cabinet tripped (for the meters)."""

    lamp_out: dict[int, list[tuple[int, int, int]]] = field(default_factory=dict)  # cabinet → (lamp, m0, m1)
    tripped: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # cabinet → (m0, m1)
    alarms: int = 0
    orders: int = 0
    late: int = 0


def history_user(session: Session) -> int:
    """The user every generated order and move is by (made once)."""
    found = session.execute(text("SELECT id FROM users WHERE name = 'demo-history'")).scalar()
    if found is not None:
        return int(found)
    return create_user(session, "demo-history", "operator", "Historique de démonstration (généré)").id


def _crews(session: Session) -> list[int]:
    crews = list(session.execute(text(
        "SELECT id FROM crews WHERE 'lighting' = ANY(skills) ORDER BY id")).scalars())
    if not crews:
        raise CityPilotError("no crew has the lighting skill: run `citypilot demo fieldservice` first")
    return crews


def _months(lo: dt.datetime, hi: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    start = lo.astimezone(PARIS).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    out = []
    while start < hi:
        nxt = (start + dt.timedelta(days=32)).replace(day=1)
        out.append((max(start, lo), min(nxt, hi)))
        start = nxt
    return out


def _at_dusk(rng: np.random.Generator, m0: dt.datetime, m1: dt.datetime, spread_min: float) -> dt.datetime | None:
    days = (m1 - m0).days
    if days < 1:
        return None
    day = (m0.astimezone(PARIS) + dt.timedelta(days=int(rng.integers(0, days)))).date()
    return (night(day).on + dt.timedelta(minutes=float(rng.uniform(1, spread_min)))).astimezone(dt.UTC)


def _raise(session: Session, asset_id: int, kind: str, code: str, alarm: str, known: dt.datetime,
           cleared: dt.datetime | None, run: int, affected: list[int] = ()) -> int:
    label = {"luminaire": "Lamp", "cabinet": "Cabinet"}[kind]
    message = {"lamp_failure": f"{label} {code} failed", "cabinet_trip": f"{label} {code} tripped",
               "device_silent": f"{label} {code} unreachable"}[alarm]
    detail = {"demo_history": run, **({"reason": "unreachable"} if alarm == "device_silent" else {})}
    raised = known + dt.timedelta(seconds=5)
    alarm_id = session.execute(_ALARM, {
        "asset_id": asset_id, "type": alarm, "severity": severity_for(alarm, kind), "message": message,
        "detail": json.dumps(detail), "known": known, "raised": raised, "acked": None,
        "cleared": None if cleared is None else cleared + dt.timedelta(seconds=30), "cleared_fact": cleared,
    }).scalar_one()
    session.execute(_HISTORY, {"alarm_id": alarm_id, "at": raised, "action": "raised", "detail": "{}"})
    if affected:
        session.execute(_AFFECTED, {"a": alarm_id, "ids": list(affected)})
    if cleared is not None:
        session.execute(_HISTORY, {"alarm_id": alarm_id, "at": cleared + dt.timedelta(seconds=30),
                                   "action": "cleared", "detail": "{}"})
    return int(alarm_id)


def _work(session: Session, rng: np.random.Generator, user: int, crew: int, alarm_id: int, assets: list[int],
          severity: str, raised: dt.datetime, description: str) -> tuple[dt.datetime, bool]:
    """The order answering an alarm, moved through the work; returns when the crew relit (and whether late)."""
    created = raised + dt.timedelta(seconds=float(rng.uniform(10, 90)))  # orders sync-alarms, every 10 s
    order = orders.create_order(session, origin="alarm", category="lighting", priority=SEVERITY_PRIORITY[severity],
                                actor_id=user, asset_ids=assets, description=description, alarm_id=alarm_id,
                                at=created)
    late = bool(rng.random() < LATE_SHARE)
    u = lambda a, b: float(rng.uniform(a, b))  # noqa: E731
    respond = order.response_due or created + dt.timedelta(hours=4)
    resolve = order.resolution_due or created + dt.timedelta(days=2)
    arrive = (respond + dt.timedelta(hours=u(0.3, 3)) if late and rng.random() < 0.5
              else created + (respond - created) * u(0.2, 0.85))
    assigned = created + dt.timedelta(minutes=u(3, 20))
    arrive = max(arrive, assigned + dt.timedelta(minutes=25))
    en_route = arrive - dt.timedelta(minutes=u(10, 20))
    done = (resolve + dt.timedelta(hours=u(1, 30)) if late
            else created + (resolve - created) * u(0.3, 0.9))
    done = max(done, arrive + dt.timedelta(minutes=u(25, 60)))
    steps = [("assigned", assigned), ("en_route", en_route), ("on_site", arrive)]
    if order.make_safe_due is not None:
        safe = arrive + dt.timedelta(minutes=u(10, 30))
        steps.append(("made_safe", safe))
        done = max(done, safe + dt.timedelta(minutes=20))
    relit = done - dt.timedelta(minutes=u(2, 10))
    for state, at in steps:
        orders.transition(session, order.id, state, user, crew_id=crew if state == "assigned" else None, at=at)
    session.execute(_CLEAR, {"id": alarm_id, "fact": relit, "at": relit + dt.timedelta(seconds=30)})
    session.execute(_HISTORY, {"alarm_id": alarm_id, "at": relit + dt.timedelta(seconds=30), "action": "cleared",
                               "detail": "{}"})
    orders.transition(session, order.id, "done", user, at=done)
    orders.transition(session, order.id, "verified", user, reason="contrôle superviseur",
                      at=done + dt.timedelta(hours=u(1, 20)))
    return relit, late


def generate_outages(session: Session, cabinets: list[CabinetPlan], clock: Clock, rng: np.random.Generator,
                     run: int) -> Outages:
    """Every month's outages of the window, their alarms and orders."""
    user, crews = history_user(session), _crews(session)
    lamps = [(cab, lamp) for cab in cabinets for lamp in cab.lamps if lamp.lit]
    out = Outages()
    if not lamps:
        return out

    def minutes(cab: CabinetPlan, lamp_id: int | None, a: dt.datetime, b: dt.datetime) -> None:
        if lamp_id is None:
            out.tripped.setdefault(cab.id, []).append((clock.index(a), clock.index(b)))
        else:
            out.lamp_out.setdefault(cab.id, []).append((lamp_id, clock.index(a), clock.index(b)))

    for i, (m0, m1) in enumerate(_months(clock.lo, clock.hi - SETTLE)):
        for _ in range(max(2, round(len(lamps) * LAMP_FAILURES))):
            cab, lamp = lamps[int(rng.integers(0, len(lamps)))]
            known = _at_dusk(rng, m0, m1, 20)
            if known is None:
                continue
            alarm_id = _raise(session, lamp.id, "luminaire", lamp.code, "lamp_failure", known, None, run)
            relit, late = _work(session, rng, user, crews[int(rng.integers(0, len(crews)))], alarm_id, [lamp.id],
                                "minor", known, f"Lampe éteinte : {lamp.code}")
            minutes(cab, lamp.id, known, relit)
            out.alarms, out.orders, out.late = out.alarms + 1, out.orders + 1, out.late + late
        for _ in range(max(1, round(len(lamps) * LAMP_SILENCES))):
            cab, lamp = lamps[int(rng.integers(0, len(lamps)))]
            known = _at_dusk(rng, m0, m1, 600)
            if known is None:
                continue
            hours = float(rng.uniform(26, 50)) if rng.random() < 0.1 else float(rng.uniform(0.3, 10))
            _raise(session, lamp.id, "luminaire", lamp.code, "device_silent", known,
                   known + dt.timedelta(hours=hours), run)
            out.alarms += 1
        trips = int(rng.poisson(len(cabinets) * CABINET_TRIPS)) or int(i % 3 == 1)
        for _ in range(trips):
            cab = cabinets[int(rng.integers(0, len(cabinets)))]
            lit = [lamp.id for lamp in cab.lamps if lamp.lit]
            known = _at_dusk(rng, m0, m1, 180)
            if known is None or not lit:
                continue
            alarm_id = _raise(session, cab.id, "cabinet", cab.code, "cabinet_trip", known, None, run, lit)
            relit, late = _work(session, rng, user, crews[int(rng.integers(0, len(crews)))], alarm_id, [cab.id],
                                "critical", known, f"Armoire disjonctée : {cab.code}")
            minutes(cab, None, known, relit)
            out.alarms, out.orders, out.late = out.alarms + 1, out.orders + 1, out.late + late
    session.flush()
    return out
