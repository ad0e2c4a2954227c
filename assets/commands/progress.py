"""The rules of a command's progress, as the worker applies them: which targets are due, when an
attempt times out and is retried (with back-off, within the command's ``max_attempts``), what an
acknowledgement means, and what the devices' reports say about whether they obeyed.

The worker (``connectors.commands``) does the talking to devices; everything it decides goes
through here and :func:`assets.commands.service.apply_moves`, so the state machine is in one place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from assets.commands import arrays
from assets.commands.actions import ACTIONS, describe
from assets.commands.service import Move, apply_moves, refresh_commands
from assets.commands.states import backoff_s, may_retry
from assets.commands.verify import Report, judge

ACK_STATUSES_OK = ("accepted", "done")


@dataclass(frozen=True)
class Policy:
    """Timeouts (seconds) per transport for an acknowledgement, per action for the verifying report
    (default: the action's own), the back-off between attempts, and how long a target may wait for
    its route (a LoRaWAN device's network server, learnt from an uplink) before it times out, and how
    long a command may wait for its second person before it expires (cancelled)."""

    ack_timeout_s: Mapping[str, float] = field(default_factory=lambda: {
        "mqtt": 10.0, "chirpstack": 30.0, "tts": 30.0, "modbus": 5.0})
    verify_timeout_s: Mapping[str, float] = field(default_factory=dict)
    backoff_base_s: float = 2.0
    backoff_max_s: float = 60.0
    route_wait_s: float = 900.0
    confirmation_wait_s: float = 900.0

    def ack_timeout(self, transport: str) -> float:
        return self.ack_timeout_s.get(transport, 10.0)

    def verify_timeout(self, action: str) -> float:
        return self.verify_timeout_s.get(action, ACTIONS[action].verify_timeout_s)


@dataclass(frozen=True)
class Due:
    """A queued target whose (next) attempt is due, with its command's action."""

    command_id: int
    asset_id: int
    kind: str
    code: str
    attempts: int
    max_attempts: int
    action: str
    params: dict[str, Any]
    waiting_since: dt.datetime
    dev_eui: str | None = None
    live_source: str | None = None


@dataclass(frozen=True)
class Open:
    """A target the worker follows (sent or acknowledged)."""

    command_id: int
    asset_id: int
    state: str
    transport: str | None
    message_id: str | None
    attempts: int
    max_attempts: int
    action: str
    params: dict[str, Any]
    ack_ts: dt.datetime | None
    sent_at: dt.datetime | None = None


def now(session: Session) -> dt.datetime:
    return session.execute(text("SELECT clock_timestamp()")).scalar_one()


def claim_due(session: Session, limit: int = 500) -> list[Due]:
    """Queued targets of running commands whose attempt is due, locked for this transaction (another
    worker skips them)."""
    rows = session.execute(
        text(
            """
            SELECT t.command_id, t.asset_id, t.kind, t.code, t.attempts, c.max_attempts, c.action, c.params,
                   coalesce(c.confirmed_at, c.requested_at) AS waiting_since, a.dev_eui, l.source
            FROM command_targets t JOIN commands c ON c.id = t.command_id
            LEFT JOIN assets a ON a.id = t.asset_id LEFT JOIN live_state l ON l.asset_id = t.asset_id
            WHERE t.state = 'queued' AND c.state = 'running'
              AND (t.next_attempt_at IS NULL OR t.next_attempt_at <= clock_timestamp())
            ORDER BY t.command_id, t.asset_id
            LIMIT :limit
            FOR UPDATE OF t SKIP LOCKED
            """
        ),
        {"limit": limit},
    ).all()
    return [Due(*r) for r in rows]


def sent(due: Due, transport: str, message_id: str, at: dt.datetime, policy: Policy) -> Move:
    """The move of a target just handed to its transport."""
    attempt = due.attempts + 1
    return Move(due.command_id, due.asset_id, "queued", "sent",
                f"sent via {transport} (attempt {attempt} of {due.max_attempts})", transport=transport,
                message_id=message_id, deadline=at + dt.timedelta(seconds=policy.ack_timeout(transport)))


def hold(session: Session, due: Due, detail: str, retry_at: dt.datetime) -> None:
    """Leave a due target queued (no state change), saying why and when it is looked at again."""
    session.execute(
        text("UPDATE command_targets SET detail = :detail, next_attempt_at = :at, updated_at = clock_timestamp() "
             "WHERE command_id = :c AND asset_id = :a AND state = 'queued'"),
        {"detail": detail, "at": retry_at, "c": due.command_id, "a": due.asset_id},
    )


def undeliverable(due: Due, reason: str, at: dt.datetime, policy: Policy) -> list[Move]:
    """A target that cannot be sent now (no route yet, transport down): held while it may wait
    (empty list), else timed out for good."""
    if (at - due.waiting_since).total_seconds() < policy.route_wait_s:
        return []
    waited = policy.route_wait_s / 60
    return [Move(due.command_id, due.asset_id, "queued", "timed_out",
                 f"{reason}; gave up after {waited:g} min")]


def failed_to_send(target: Due | Open, reason: str, at: dt.datetime, policy: Policy, attempts: int) -> list[Move]:
    """A send that failed on the way (broker or device unreachable): the attempt times out and is
    retried after the back-off while attempts remain."""
    return _time_out(target.command_id, target.asset_id, "sent", reason, attempts, target.max_attempts, at, policy)


def acknowledged(target: Open, ack_ts: dt.datetime, at: dt.datetime, policy: Policy, detail: str | None = None
                 ) -> Move:
    """The device (or its network server) acknowledged: now its report must come within the action's
    verification timeout."""
    return Move(target.command_id, target.asset_id, "sent", "acknowledged", detail or "acknowledged",
                ack_ts=ack_ts, deadline=at + dt.timedelta(seconds=policy.verify_timeout(target.action)))


def refused(target: Open, detail: str) -> Move:
    """The device (or its network server) refused the command: failed, not retried."""
    return Move(target.command_id, target.asset_id, "sent", "failed", detail)


def _time_out(command_id: int, asset_id: int, state: str, reason: str, attempts: int, max_attempts: int,
              at: dt.datetime, policy: Policy) -> list[Move]:
    tail = f" (attempt {attempts} of {max_attempts})"
    moves = [Move(command_id, asset_id, state, "timed_out", reason + tail)]
    if may_retry(attempts, max_attempts):
        wait = backoff_s(attempts, policy.backoff_base_s, policy.backoff_max_s)
        moves.append(Move(command_id, asset_id, "timed_out", "queued",
                          f"{reason}; retry {attempts + 1} of {max_attempts} in {wait:g} s",
                          next_attempt_at=at + dt.timedelta(seconds=wait)))
    return moves


def expired(session: Session, at: dt.datetime, policy: Policy) -> list[Move]:
    """Targets past their deadline: sent without acknowledgement, or acknowledged without a report;
    each times out, and goes back to the queue while attempts remain."""
    rows = session.execute(
        text(
            """
            SELECT t.command_id, t.asset_id, t.state, t.transport, t.attempts, c.max_attempts, c.action
            FROM command_targets t JOIN commands c ON c.id = t.command_id
            WHERE t.state IN ('sent', 'acknowledged') AND t.deadline < :at
            ORDER BY t.command_id, t.asset_id
            """
        ),
        {"at": at},
    ).all()
    moves: list[Move] = []
    for r in rows:
        if r.state == "sent":
            reason = f"no acknowledgement within {policy.ack_timeout(r.transport or ''):g} s"
        else:
            reason = f"acknowledged, but no report of {ACTIONS[r.action].metric} within " \
                     f"{policy.verify_timeout(r.action):g} s"
        moves += _time_out(r.command_id, r.asset_id, r.state, reason, r.attempts, r.max_attempts, at, policy)
    return moves


def open_targets(session: Session, states: Sequence[str] = ("sent", "acknowledged"),
                 asset_ids: Iterable[int] | None = None) -> list[Open]:
    """The targets being followed, optionally of some assets only."""
    query = """
        SELECT t.command_id, t.asset_id, t.state, t.transport, t.message_id, t.attempts, c.max_attempts, c.action,
               c.params, t.ack_ts, t.sent_at
        FROM command_targets t JOIN commands c ON c.id = t.command_id
        WHERE t.state = ANY(:states)
    """
    params: dict[str, Any] = {"states": list(states)}
    if asset_ids is not None:
        query += " AND t.asset_id = ANY(:ids)"
        params["ids"] = list(asset_ids)
    return [Open(*r) for r in session.execute(text(query + " ORDER BY t.command_id, t.asset_id"), params)]


# -- acknowledgements on CityPilot's own contract (stored by the ingest as ``command_ack`` events) --------
_MQTT_ACKS = """
SELECT DISTINCT ON (u.command_id, u.asset_id) u.command_id, u.asset_id, e.ts, e.detail->>'status',
       e.detail->>'detail'
FROM unnest(CAST(:commands AS int8[]), CAST(:assets AS int8[]), CAST(:sent AS timestamptz[]))
    AS u(command_id, asset_id, sent_at)
JOIN device_events e ON e.asset_id = u.asset_id AND e.name = 'command_ack'
     AND e.ts >= u.sent_at - interval '1 day' AND e.detail->>'command_id' = u.command_id::text
ORDER BY u.command_id, u.asset_id, e.id
"""


def mqtt_acks(session: Session, at: dt.datetime, policy: Policy) -> list[Move]:
    """What the devices on our own contract answered to the targets waiting for it: ``accepted`` or
    ``done`` acknowledge (at the ack's device time), ``rejected`` fails with the device's reason. Read
    from the stored events of the waiting targets' devices: nothing is missed across restarts."""
    waiting = {(t.command_id, t.asset_id): t for t in open_targets(session, ("sent",)) if t.transport == "mqtt"}
    if not waiting:
        return []
    targets = list(waiting.values())
    rows = session.execute(text(_MQTT_ACKS), {
        "commands": arrays.ints(t.command_id for t in targets), "assets": arrays.ints(t.asset_id for t in targets),
        "sent": arrays.times(t.sent_at or at for t in targets),
    }).all()
    moves = []
    for command_id, asset_id, ts, status, detail in rows:
        target = waiting[(command_id, asset_id)]
        if status in ACK_STATUSES_OK:
            moves.append(acknowledged(target, ts, at, policy, f"acknowledged ({status})"))
        elif status == "rejected":
            moves.append(refused(target, "rejected by the device" + (f": {detail}" if detail else "")))
    return moves


# -- verification -----------------------------------------------------------------------------------------
def first_reports(session: Session, wanted: Sequence[tuple[int, str, dt.datetime]]) -> dict[int, Report]:
    """For each (asset, metric, since): the first value of that metric the device reported at or after
    ``since`` (device time), from the telemetry history."""
    if not wanted:
        return {}
    rows = session.execute(
        text(
            """
            SELECT u.asset_id, r.ts, r.value, r.text_value
            FROM unnest(CAST(:ids AS int8[]), CAST(:metrics AS text[]), CAST(:since AS timestamptz[]))
                AS u(asset_id, metric, since)
            JOIN live_metrics m ON m.name = u.metric
            JOIN live_state l ON l.asset_id = u.asset_id AND l.ts >= u.since
            CROSS JOIN LATERAL (
                SELECT ts, value, text_value FROM telemetry
                WHERE asset_id = u.asset_id AND metric_id = m.id AND ts >= u.since
                ORDER BY ts LIMIT 1
            ) AS r
            """
        ),
        {"ids": arrays.ints(w[0] for w in wanted), "metrics": arrays.texts(w[1] for w in wanted),
         "since": arrays.times(w[2] for w in wanted)},
    ).all()
    return {r.asset_id: Report(r.ts, r.text_value if r.text_value is not None else r.value) for r in rows}


def verifications(session: Session) -> list[Move]:
    """Acknowledged targets whose device has reported since: verified, or failed when it reported
    another state. Modbus readbacks are judged by the worker with :func:`readback`."""
    waiting = [t for t in open_targets(session, ("acknowledged",)) if t.ack_ts is not None and t.transport != "modbus"]
    reports = first_reports(session, [(t.asset_id, ACTIONS[t.action].metric, t.ack_ts) for t in waiting])
    moves = []
    for target in waiting:
        verdict = judge(target.action, target.params, target.ack_ts, reports.get(target.asset_id))  # type: ignore[arg-type]
        if verdict is not None:
            moves.append(Move(target.command_id, target.asset_id, "acknowledged", verdict.state, verdict.detail))
    return moves


def readback(target: Open, ack_ts: dt.datetime, value: Any, at: dt.datetime) -> Move:
    """The verdict on a value read back from the device right after writing it (Modbus)."""
    verdict = judge(target.action, target.params, ack_ts, Report(at, value))
    if verdict is None:
        return Move(target.command_id, target.asset_id, "acknowledged", "failed",
                    f"nothing read back after {describe(target.action, target.params)}")
    return Move(target.command_id, target.asset_id, "acknowledged", verdict.state, verdict.detail)


def apply(session: Session, moves: Sequence[Move]) -> list[Move]:
    """Apply the worker's moves (no acting user: the log says ``worker``)."""
    return apply_moves(session, moves, actor_id=None)


def stuck_commands(session: Session) -> list[int]:
    """Running commands with no open target left (e.g. a process stopped between the two): to refresh."""
    return list(session.execute(text(
        "SELECT c.id FROM commands c WHERE c.state = 'running' AND NOT EXISTS (SELECT 1 FROM command_targets t "
        "WHERE t.command_id = c.id AND t.state IN ('queued', 'sent', 'acknowledged'))"
    )).scalars())


def refresh_stuck(session: Session) -> None:
    """Bring the summary state of stuck commands up to date."""
    refresh_commands(session, stuck_commands(session))
