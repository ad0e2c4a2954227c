"""The alarm engine: applies the rules to what the devices say, in its own process (the ingest stays fast).

- **State changes** arrive on ``citypilot_live`` (LISTEN): the assets named are judged at once; vehicle
  positions are judged against their zone.
- **Device events** are read from ``device_events`` after a cursor kept in ``alarm_cursors``, committed with
  the alarms they caused: a restarted engine resumes where it stopped. An id skipped by a transaction still
  in flight may commit after higher ones: it is looked for again for ``gap_wait_s``, and the saved cursor
  stays below it meanwhile.
- **Sweeps** every ``sweep_s``: silent devices (and those heard again), sensor thresholds on what sensors
  said since the last sweep, vehicles, and children whose cause was cleared long ago.
- **Reconciliation** at start, after the listening connection is lost, and every ``reconcile_s``: every
  asset whose live state calls for an alarm, and every active alarm its live state no longer supports.

Decisions are idempotent (device-time guards in :mod:`assets.alarms.lifecycle`), so replaying any of these
never raises or clears twice.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from assets.alarms import lifecycle
from assets.alarms.catalogue import CAUSE_TYPES
from assets.alarms.rules import (
    LINK_DOWN_EVENTS,
    LINK_UP_EVENTS,
    SILENCE_FACTOR,
    Decision,
    EventFact,
    LiveFact,
    alarm_events,
    default_intervals_s,
    event_decisions,
    level_decisions,
    threshold_decision,
    zone_decision,
)
from assets.alarms.thresholds import Threshold, list_thresholds
from assets.db import unit_of_work
from assets.errors import CityPilotError
from assets.live.channels import LIVE_CHANNEL
from assets.live.writer import libpq_url

log = logging.getLogger(__name__)

LEVEL_TYPES = ("lamp_failure", "cabinet_trip", "meter_unreachable", "device_silent")
_NEVER = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_TRUTH = {"true": True, "1": True, "false": False, "0": False}


@dataclass
class EngineOptions:
    """How the engine runs (times in seconds)."""

    sweep_s: float = 5.0
    reconcile_s: float = 300.0
    poll_s: float = 0.25
    silence_factor: float = SILENCE_FACTOR
    intervals_s: dict[str, int] = field(default_factory=default_intervals_s)
    zone_tolerance_m: float = 500.0
    zone_hysteresis_m: float = 100.0
    ungroup_after_s: float = 600.0
    backfill_s: float = 86_400.0
    deaf_after_s: float = 600.0  # nothing heard from any device for this long: the platform is deaf
    trust_history: bool = False  # count silence from last_seen even before the engine started
    gap_wait_s: float = 10.0
    batch: int = 2000
    cursor: str = "engine"

    def check(self) -> None:
        problems = [f"{name} must be more than 0" for name in ("sweep_s", "reconcile_s", "poll_s", "silence_factor")
                    if getattr(self, name) <= 0]
        if self.zone_tolerance_m < 0 or self.zone_hysteresis_m < 0:
            problems.append("zone tolerance and hysteresis must be 0 or more")
        if problems:
            raise CityPilotError("; ".join(problems))


@dataclass
class _Live:
    """What one LISTEN wait brought: assets whose state changed, vehicles that moved."""

    states: set[int] = field(default_factory=set)
    vehicles: set[int] = field(default_factory=set)


class AlarmEngine:
    """Judges live data into alarms; :meth:`run` is the long-running loop, the other methods one step each
    (tests and the CLI call them directly)."""

    def __init__(self, db: Engine, options: EngineOptions | None = None) -> None:
        self.db = db
        self.options = options or EngineOptions()
        self.options.check()
        self.counts: Counter[str] = Counter()
        self._cursor: int | None = None
        self._read_to = 0  # the highest event id read
        self._pending: dict[int, float] = {}  # ids below it not seen yet (in-flight transactions): since when
        self._since: dt.datetime | None = None  # DB time of the previous sweep (None: judge everything)
        self._listening_since: dt.datetime | None = None  # silence is counted from then
        self._stop = threading.Event()

    # -- the loop ---------------------------------------------------------------------------------------
    def stop(self) -> None:
        self._stop.set()

    def run(self, on_ready: Callable[[], None] | None = None) -> None:
        """LISTEN, catch up, then judge as things happen until :meth:`stop`; survives database restarts."""
        dsn = libpq_url(self.db.url.render_as_string(hide_password=False))
        delay = 0.5
        ready = False
        while not self._stop.is_set():
            try:
                with psycopg.connect(dsn, autocommit=True) as conn:
                    conn.execute(f'LISTEN "{LIVE_CHANNEL}"')
                    self.catch_up()
                    if not ready and on_ready is not None:
                        on_ready()
                    ready = True
                    delay = 0.5
                    self._loop(conn)
            except (psycopg.Error, DBAPIError) as exc:
                log.warning("alarm engine lost the database (%s); retrying in %.1f s", exc, delay)
            except Exception:  # a bug must not stop the alarms for good: logged, then start over
                log.exception("alarm engine failed; starting over in %.1f s", delay)
            self._stop.wait(delay)
            delay = min(delay * 2, 10.0)

    def _loop(self, conn: psycopg.Connection) -> None:
        now = time.monotonic()
        next_sweep, next_reconcile = now + self.options.sweep_s, now + self.options.reconcile_s
        while not self._stop.is_set():
            live = self._wait(conn)
            if live.states:
                self.judge_assets(live.states)
            if live.vehicles:
                self.judge_vehicles(live.vehicles)
            while self.read_events() >= self.options.batch:
                pass
            now = time.monotonic()
            if now >= next_sweep:
                self.sweep()
                next_sweep = now + self.options.sweep_s
            if now >= next_reconcile:
                self.reconcile()
                next_reconcile = now + self.options.reconcile_s

    def _wait(self, conn: psycopg.Connection) -> _Live:
        """The notifications of up to ``poll_s`` (then whatever follows at once, batched)."""
        live = _Live()
        notes = list(conn.notifies(timeout=self.options.poll_s, stop_after=1))
        if notes:
            notes += conn.notifies(timeout=0.02, stop_after=20_000)
        for note in notes:
            try:
                payload = json.loads(note.payload)
                asset_id = int(payload["asset_id"])
            except (ValueError, KeyError, TypeError):
                continue
            if payload.get("type") == "position":
                live.vehicles.add(asset_id)
            elif payload.get("type", "state") == "state":
                live.states.add(asset_id)
        return live

    def catch_up(self) -> None:
        """What a (re)started engine does first: every event it has not read, the live state, a full sweep."""
        while self.read_events() >= self.options.batch:
            pass
        self.reconcile()
        self._since = None
        self.sweep()

    # -- applying decisions -------------------------------------------------------------------------------
    def _apply(self, session: Session, decisions: Sequence[Decision]) -> None:
        """Causes one by one (they compute what they affect), the rest set-wise; an (asset, type) decided
        twice in one batch is applied in device-time order."""
        keys = Counter((d.asset_id, d.type) for d in decisions)
        single = sorted((d for d in decisions if keys[(d.asset_id, d.type)] > 1 or
                         (d.action == "raise" and d.type in CAUSE_TYPES)),
                        key=lambda d: (d.type not in CAUSE_TYPES, d.fact_ts))
        bulk = [d for d in decisions if keys[(d.asset_id, d.type)] == 1 and
                not (d.action == "raise" and d.type in CAUSE_TYPES)]
        for d in single:
            self._apply_one(session, d)
        try:
            with session.begin_nested():
                raised = lifecycle.raise_many(session, [_fact(d) for d in bulk if d.action == "raise"])
                cleared = lifecycle.clear_many(session, [_fact(d) for d in bulk if d.action == "clear"])
        except (CityPilotError, DBAPIError) as exc:
            log.warning("a batch of %d decisions failed (%s): applying them one by one", len(bulk), exc)
            for d in bulk:
                self._apply_one(session, d)
            return
        self._count("raised", raised)
        self._count("cleared", cleared)

    def _apply_one(self, session: Session, d: Decision) -> None:
        try:
            with session.begin_nested():
                if d.action == "raise":
                    done = lifecycle.raise_alarm(session, d.asset_id, d.type, d.fact_ts, detail=d.detail,
                                                 severity=d.severity)
                else:
                    done = lifecycle.clear_active(session, d.asset_id, d.type, d.fact_ts, reason=d.reason,
                                                  detail=d.detail)
        except (CityPilotError, DBAPIError) as exc:
            log.warning("%s %s on asset %s: %s", d.action, d.type, d.asset_id, exc)
            return
        self._count("raised" if d.action == "raise" else "cleared", [] if done is None else [done])

    def _count(self, what: str, ids: list[int]) -> None:
        if ids:
            self.counts[what] += len(ids)
            log.info("%s %d alarm(s): %s", what, len(ids), ", ".join(map(str, ids[:20])) + (" ..." if len(ids) > 20
                                                                                          else ""))

    def apply(self, decisions: list[Decision]) -> None:
        """Apply decisions, a few thousand per transaction."""
        for start in range(0, len(decisions), 5000):
            with unit_of_work(self.db, None) as session:
                self._apply(session, decisions[start:start + 5000])

    # -- live state ---------------------------------------------------------------------------------------
    _LIVE_SQL = """
        SELECT l.asset_id, a.kind, l.state, l.state_since, l.state_ts, a.status = 'in_service' AS in_service,
               coalesce(act.types, CAST(ARRAY[] AS text[])) AS active, act.silent_reason,
               l.values->>'tripped' AS tripped
          FROM live_state l JOIN assets a ON a.id = l.asset_id
          LEFT JOIN LATERAL (
                SELECT array_agg(al.type) AS types,
                       max(al.detail->>'reason') FILTER (WHERE al.type = 'device_silent') AS silent_reason
                  FROM alarms al WHERE al.asset_id = l.asset_id AND al.state <> 'cleared'
          ) act ON true
         WHERE {where}
    """

    def _facts(self, session: Session, where: str, params: dict[str, Any]) -> list[LiveFact]:
        rows = session.execute(text(self._LIVE_SQL.format(where=where)), params)
        return [LiveFact(r.asset_id, r.kind, r.state, r.state_since, r.state_ts, r.in_service,
                         frozenset(r.active), r.silent_reason, _TRUTH.get((r.tripped or "").lower())) for r in rows]

    def judge_assets(self, asset_ids: Iterable[int]) -> None:
        """The live-state rules for these assets (their state changed)."""
        ids = sorted(set(asset_ids))
        for start in range(0, len(ids), 5000):
            with unit_of_work(self.db, None) as session:
                facts = self._facts(session, "l.asset_id = ANY(:ids)", {"ids": ids[start:start + 5000]})
            self.apply([d for f in facts for d in level_decisions(f)])

    def reconcile(self) -> None:
        """The live-state rules for every asset whose state calls for an alarm or that has one to clear."""
        where = (
            "(l.state = 'unreachable' OR (l.state = 'fault' AND a.kind IN ('luminaire', 'cabinet')) "
            " OR (a.kind = 'cabinet' AND lower(l.values->>'tripped') IN ('true', '1')) "
            " OR EXISTS (SELECT 1 FROM alarms x WHERE x.asset_id = l.asset_id AND x.state <> 'cleared' "
            "            AND x.type = ANY(:types)))"
        )
        with unit_of_work(self.db, None) as session:
            facts = self._facts(session, where, {"types": list(LEVEL_TYPES)})
        self.apply([d for f in facts for d in level_decisions(f)])
        self.counts["reconciliations"] += 1

    # -- device events ------------------------------------------------------------------------------------
    def _load_cursor(self, session: Session) -> int:
        found = session.execute(
            text("SELECT event_id FROM alarm_cursors WHERE name = :n"), {"n": self.options.cursor}
        ).scalar()
        if found is not None:
            return int(found)
        start = session.execute(  # first start: the events of the last backfill_s are news, older ones history
            text("SELECT coalesce((SELECT min(id) - 1 FROM device_events WHERE received_at > now() - :back), "
                 "(SELECT max(id) FROM device_events), 0)"),
            {"back": dt.timedelta(seconds=self.options.backfill_s)},
        ).scalar_one()
        session.execute(
            text("INSERT INTO alarm_cursors (name, event_id) VALUES (:n, :e) ON CONFLICT (name) DO NOTHING"),
            {"n": self.options.cursor, "e": int(start)},
        )
        return int(start)

    _EVENTS_SQL = """
        SELECT e.id, e.asset_id, e.ts, e.name, e.detail, a.kind, l.state, l.state_ts
          FROM device_events e JOIN assets a ON a.id = e.asset_id
          LEFT JOIN live_state l ON l.asset_id = e.asset_id
         WHERE {where} ORDER BY e.id
    """

    def read_events(self) -> int:
        """Judge the device events not read yet (one batch, and ids skipped earlier that committed since);
        how many new rows were read. The cursor saved with the alarms is the last id below which every
        event was read (or waited for ``gap_wait_s``)."""
        with unit_of_work(self.db, None) as session:
            if self._cursor is None:
                self._cursor = self._read_to = self._load_cursor(session)
            late = session.execute(
                text(self._EVENTS_SQL.format(where="e.id = ANY(:ids)")), {"ids": sorted(self._pending)}
            ).all() if self._pending else []
            rows = session.execute(
                text(self._EVENTS_SQL.format(where="e.id > :after") + " LIMIT :batch"),
                {"after": self._read_to, "batch": self.options.batch},
            ).all()
            fresh = [*late, *rows]
            events = alarm_events()
            facts = [self._event_fact(session, r) for r in fresh if r.name in events]
            self._apply(session, [d for f in facts for d in event_decisions(f)])
            now = time.monotonic()
            pending, read_to = dict(self._pending), self._read_to
            for r in late:
                pending.pop(r.id, None)
            if rows:
                seen = {r.id for r in rows}
                pending.update((i, now) for i in range(read_to + 1, rows[-1].id) if i not in seen)
                read_to = rows[-1].id
            pending = {i: t for i, t in pending.items() if now - t < self.options.gap_wait_s}  # else: rolled back
            cursor = min(pending) - 1 if pending else read_to
            if cursor != self._cursor:
                session.execute(
                    text("UPDATE alarm_cursors SET event_id = :e, updated_at = now() WHERE name = :n"),
                    {"e": cursor, "n": self.options.cursor},
                )
        self._cursor, self._pending, self._read_to = cursor, pending, read_to
        self.counts["events"] += len(fresh)
        return len(rows)

    def _event_fact(self, session: Session, row: Any) -> EventFact:
        element = None
        if row.name in (*LINK_DOWN_EVENTS, *LINK_UP_EVENTS):
            element = self._fibre_element(session, row.asset_id, row.kind, row.detail or {})
        return EventFact(row.id, row.asset_id, row.kind, row.ts, row.name, row.detail or {}, row.state, row.state_ts,
                         element)

    @staticmethod
    def _fibre_element(session: Session, reporter: int, kind: str, detail: dict[str, Any]) -> int | None:
        """The fibre node or segment a ``link_*`` event names (``element``: its code, or ``element_id``),
        else the reporting node itself."""
        if isinstance(detail.get("element_id"), int):
            return session.execute(
                text("SELECT id FROM assets WHERE id = :id AND kind IN ('fibre_node', 'fibre_segment')"),
                {"id": detail["element_id"]},
            ).scalar()
        code = detail.get("element")
        if isinstance(code, str) and code:
            kinds = [detail["kind"]] if detail.get("kind") in ("fibre_node", "fibre_segment") else \
                ["fibre_segment", "fibre_node"]
            found = session.execute(
                text("SELECT id FROM assets WHERE upper(code) = upper(:code) AND kind = ANY(:kinds) "
                     "ORDER BY array_position(CAST(:kinds AS text[]), kind) LIMIT 1"),
                {"code": code, "kinds": kinds},
            ).scalar()
            if found is None:
                log.warning("link event names %r: no fibre node or segment has that code", code)
            return found
        return reporter if kind == "fibre_node" else None

    # -- sweeps ---------------------------------------------------------------------------------------------
    def sweep(self) -> None:
        """Silence, thresholds, vehicles heard since the last sweep, orphaned children."""
        with unit_of_work(self.db, None) as session:
            now = session.execute(text("SELECT now()")).scalar_one()
        since = self._since - dt.timedelta(seconds=5) if self._since is not None else None  # late commits
        self.sweep_silence()
        self.judge_cabinets(since)
        self.judge_sensors(since)
        self.judge_vehicles(None, since)
        with unit_of_work(self.db, None) as session:
            ungrouped = lifecycle.ungroup_orphans(session, dt.timedelta(seconds=self.options.ungroup_after_s))
        self.counts["ungrouped"] += len(ungrouped)
        self._since = now
        self.counts["sweeps"] += 1

    def _intervals_sql(self) -> str:
        rows = ", ".join(f"('{k}', {int(v)})" for k, v in self.options.intervals_s.items() if k.isidentifier())
        empty = "('', CAST(NULL AS integer))"
        return f"(VALUES {rows or empty}) AS iv(kind, s)"

    def sweep_silence(self) -> None:
        """Raise ``device_silent`` for devices not heard for ``silence_factor`` × their interval *while CityPilot
        was listening* — counted from the engine's start, or from when devices were heard again after
        ``deaf_after_s`` of total silence (the ingest or the network was down, not every device), unless
        ``trust_history`` — and clear it for those heard again."""
        factor = self.options.silence_factor
        with unit_of_work(self.db, None) as session:
            now, heard_last = session.execute(text("SELECT now(), max(last_seen) FROM live_state")).one()
            if heard_last is None or (now - heard_last).total_seconds() > self.options.deaf_after_s:
                self._listening_since = None  # nothing heard from anyone: the ingest is down, not the city
            elif self._listening_since is None:
                self._listening_since = _NEVER if self.options.trust_history else now
            silent = [] if self._listening_since is None else session.execute(
                text(
                    f"""
                    SELECT l.asset_id, l.last_seen, coalesce(l.expected_interval_s, iv.s) * :factor AS allowed
                      FROM live_state l JOIN assets a ON a.id = l.asset_id
                      LEFT JOIN {self._intervals_sql()} ON iv.kind = a.kind
                     WHERE a.status = 'in_service' AND l.state <> 'unreachable'
                       AND coalesce(l.expected_interval_s, iv.s) IS NOT NULL
                       AND greatest(l.last_seen, :listening) <
                           now() - make_interval(secs => coalesce(l.expected_interval_s, iv.s) * :factor)
                       AND NOT EXISTS (SELECT 1 FROM alarms x WHERE x.asset_id = l.asset_id
                                        AND x.type = 'device_silent'
                                        AND (x.state <> 'cleared' OR x.cleared_fact_ts > l.last_seen))
                     ORDER BY l.last_seen LIMIT :limit
                    """
                ),
                {"factor": factor, "limit": self.options.batch * 25, "listening": self._listening_since},
            ).all()
            heard = session.execute(
                text(
                    "SELECT x.asset_id, l.last_seen FROM alarms x JOIN live_state l ON l.asset_id = x.asset_id "
                    "WHERE x.type = 'device_silent' AND x.state <> 'cleared' AND x.detail->>'reason' = 'silent' "
                    "AND l.last_seen > x.fact_ts"
                )
            ).all()
        decisions = [
            Decision("raise", r.asset_id, "device_silent", r.last_seen,
                     detail={"reason": "silent", "last_seen": r.last_seen.isoformat(), "allowed_s": float(r.allowed)})
            for r in silent
        ] + [
            Decision("clear", r.asset_id, "device_silent", r.last_seen, reason="silent",
                     detail={"last_seen": r.last_seen.isoformat()})
            for r in heard
        ]
        self.apply(decisions)

    def judge_cabinets(self, since: dt.datetime | None = None) -> None:
        """The live-state rules for cabinets heard since ``since``: a polled cabinet's ``tripped`` value may
        change without its state (no notification)."""
        with unit_of_work(self.db, None) as session:
            facts = self._facts(session, "a.kind = 'cabinet' AND l.last_seen > :since", {"since": since or _NEVER})
        self.apply([d for f in facts for d in level_decisions(f)])

    def judge_sensors(self, since: dt.datetime | None = None) -> None:
        """The thresholds of the sensors heard since ``since`` (all when None)."""
        with unit_of_work(self.db, None) as session:
            by_type: dict[str, list[Threshold]] = {}
            for th in list_thresholds(session):
                by_type.setdefault(th.sensor_type, []).append(th)
            if not by_type:
                return
            sensors = session.execute(
                text(
                    """
                    SELECT l.asset_id, a.sensor_type, l.ts, l.values,
                           EXISTS (SELECT 1 FROM alarms x WHERE x.asset_id = l.asset_id
                                    AND x.type = 'sensor_threshold' AND x.state <> 'cleared') AS active
                      FROM live_state l JOIN assets a ON a.id = l.asset_id
                     WHERE a.kind = 'sensor' AND a.status = 'in_service' AND a.sensor_type = ANY(:types)
                       AND l.last_seen > :since
                    """
                ),
                {"types": list(by_type), "since": since or _NEVER},
            ).all()
            means = self._window_means(session, [(r, th) for r in sensors for th in by_type[r.sensor_type]
                                                 if th.window_s > 0])
        decisions = []
        for r in sensors:
            measured: dict[tuple[str, int], float] = {}
            for th in by_type[r.sensor_type]:
                if th.window_s > 0:
                    value = means.get((r.asset_id, th.metric, th.window_s))
                else:
                    value = _number((r.values or {}).get(th.metric))
                if value is not None:
                    measured[(th.metric, th.window_s)] = value
            decision = threshold_decision(r.asset_id, r.ts, by_type[r.sensor_type], measured, r.active)
            if decision is not None:
                decisions.append(decision)
        self.apply(decisions)

    @staticmethod
    def _window_means(session: Session, pairs: list[tuple[Any, Threshold]]) -> dict[tuple[int, str, int], float]:
        """The mean of each (sensor, metric) over its threshold's window, ending at the sensor's latest time."""
        if not pairs:
            return {}
        rows = session.execute(
            text(
                """
                SELECT q.a, q.m, q.w,
                       (SELECT avg(t.value) FROM telemetry t
                         WHERE t.asset_id = q.a AND t.metric_id = lm.id
                           AND t.ts > q.ts - make_interval(secs => q.w) AND t.ts <= q.ts) AS mean
                  FROM unnest(CAST(:a AS bigint[]), CAST(:m AS text[]), CAST(:w AS int[]), CAST(:ts AS timestamptz[]))
                       AS q(a, m, w, ts)
                  JOIN live_metrics lm ON lm.name = q.m
                """
            ),
            {"a": [r.asset_id for r, _ in pairs], "m": [th.metric for _, th in pairs],
             "w": [th.window_s for _, th in pairs], "ts": [r.ts for r, _ in pairs]},
        )
        return {(r.a, r.m, r.w): float(r.mean) for r in rows if r.mean is not None}

    def judge_vehicles(self, asset_ids: Iterable[int] | None = None, since: dt.datetime | None = None) -> None:
        """Vehicles (these, or those heard since ``since``) against their zone: the communes of their
        ``zone_communes``, or every commune of today's metropole."""
        tolerance = self.options.zone_tolerance_m
        where = "l.asset_id = ANY(:ids)" if asset_ids is not None else "l.last_seen > :since"
        with unit_of_work(self.db, None) as session:
            rows = session.execute(
                text(
                    f"""
                    SELECT l.asset_id, l.ts,
                           (SELECT min(ST_Distance(c.geom, l.geom)) FROM commune_parts c
                             WHERE ST_DWithin(c.geom, l.geom, :far)
                               AND (a.zone_communes IS NULL
                                    OR c.insee = ANY(string_to_array(a.zone_communes, ',')))) AS distance,
                           EXISTS (SELECT 1 FROM alarms x WHERE x.asset_id = l.asset_id
                                    AND x.type = 'vehicle_outside_zone' AND x.state <> 'cleared') AS active
                      FROM live_state l JOIN assets a ON a.id = l.asset_id
                     WHERE a.kind = 'vehicle' AND a.status = 'in_service' AND l.geom IS NOT NULL AND {where}
                    """
                ),
                {"ids": sorted(set(asset_ids or ())), "since": since or _NEVER, "far": tolerance + 20_000.0},
            ).all()
        decisions = [
            zone_decision(r.asset_id, r.ts, None if r.distance is None else float(r.distance), tolerance,
                          self.options.zone_hysteresis_m, r.active)
            for r in rows
        ]
        self.apply([d for d in decisions if d is not None])


def _fact(d: Decision) -> lifecycle.Fact:
    return lifecycle.Fact(d.asset_id, d.type, d.fact_ts, d.detail, d.severity, d.reason)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
