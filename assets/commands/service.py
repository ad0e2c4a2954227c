"""The command service every client calls (CLI, web, desktop): give, confirm and cancel commands,
and move targets through their life (the worker's side), each change audited and announced.

Locks are always taken targets first (in key order), then commands (in id order): the worker, a
cancellation and a confirmation never deadlock. Every state change writes a ``command_log`` row and
a ``NOTIFY citypilot_commands`` in the same transaction (announced only once committed).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from assets.commands import arrays
from assets.commands.actions import COMMAND_ROLES, action_spec, check_params, describe
from assets.commands.models import Command
from assets.commands.states import (
    CANCELLABLE_TARGET_STATES,
    FINISHED_COMMAND_STATES,
    TARGET_STATES,
    check_command_transition,
    check_target_transition,
    summary_state,
)
from assets.commands.targets import resolve_targets
from assets.errors import ConflictError, FieldError, NotFoundError, PermissionDenied, ValidationError
from assets.live.channels import COMMAND_CHANNEL
from assets.models import User

DEFAULT_MAX_ATTEMPTS = 3
MAX_COMMENT = 2000


@dataclass(frozen=True)
class Move:
    """One target's state change, with what comes with it (``deadline`` of the new state, the retry's
    ``next_attempt_at``, the transport and message id of a send, the device time of an acknowledgement)."""

    command_id: int
    asset_id: int
    from_state: str
    to_state: str
    detail: str | None = None
    transport: str | None = None
    message_id: str | None = None
    ack_ts: dt.datetime | None = None
    deadline: dt.datetime | None = None
    next_attempt_at: dt.datetime | None = None


# -- people -----------------------------------------------------------------------------------------
def _commander(session: Session, user_id: int | None, doing: str) -> User:
    """The user acting, who must exist, be enabled and have a control-room role."""
    user = session.get(User, user_id) if user_id is not None else None
    if user is None:
        raise PermissionDenied(f"{doing}: unknown user")
    if user.disabled:
        raise PermissionDenied(f"{doing}: user {user.name!r} is disabled")
    if user.role not in COMMAND_ROLES:
        raise PermissionDenied(f"{doing}: the role {user.role} may not (only {', '.join(COMMAND_ROLES)})")
    return user


def get_command_row(session: Session, command_id: int, *, lock: bool = False) -> Command:
    query = session.query(Command).filter(Command.id == command_id)
    command = (query.with_for_update() if lock else query).one_or_none()
    if command is None:
        raise NotFoundError(f"command {command_id} does not exist")
    return command


# -- giving, confirming, cancelling -----------------------------------------------------------------
def create_command(
    session: Session,
    actor_id: int | None,
    action: Any,
    params: Mapping[str, Any] | None,
    target: Any,
    comment: str | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> Command:
    """Check and record a command: its targets queued, state ``running`` (the worker sends it) or
    ``awaiting_confirmation`` when a second person must confirm it (traffic signals)."""
    user = _commander(session, actor_id, "sending a command")
    spec = action_spec(action)
    errors: list[FieldError] = []
    if params is not None and not isinstance(params, Mapping):
        errors.append(FieldError("params", "expected an object"))
        params = {}
    try:
        params = check_params(spec.name, params)
    except ValidationError as exc:
        errors += exc.errors
    if comment is not None and (not isinstance(comment, str) or len(comment) > MAX_COMMENT):
        errors.append(FieldError("comment", f"expected a text of at most {MAX_COMMENT} characters"))
    if not 1 <= max_attempts <= 10:
        errors.append(FieldError("max_attempts", "must be between 1 and 10"))
    try:
        selection = resolve_targets(session, spec, target)
    except ValidationError as exc:
        errors += exc.errors
    if errors:
        raise ValidationError(errors)
    state = "awaiting_confirmation" if spec.two_person else "running"
    command = Command(action=spec.name, params=params, target=selection.stored, comment=comment or None,
                      state=state, needs_confirmation=spec.two_person, max_attempts=max_attempts,
                      requested_by=user.id)
    session.add(command)
    session.flush()
    targets = selection.targets
    session.execute(
        text(
            """
            WITH t AS (
                INSERT INTO command_targets (command_id, asset_id, kind, code, state)
                SELECT :id, a, k, c, 'queued' FROM unnest(CAST(:ids AS int8[]), CAST(:kinds AS text[]),
                                                          CAST(:codes AS text[])) AS u(a, k, c)
                RETURNING asset_id
            )
            INSERT INTO command_log (command_id, asset_id, actor_id, from_state, to_state)
            SELECT :id, asset_id, :actor, NULL, 'queued' FROM t
            """
        ),
        {"id": command.id, "ids": arrays.ints(t.asset_id for t in targets),
         "kinds": arrays.texts(t.kind for t in targets), "codes": arrays.texts(t.code for t in targets),
         "actor": user.id},
    )
    what = f"{describe(spec.name, params)} on {len(targets)} {'device' if len(targets) == 1 else 'devices'}"
    if selection.skipped:
        what += f" ({selection.skipped} without a device left out)"
    if spec.two_person:
        what += "; waiting for a second person to confirm"
    _log(session, command.id, None, user.id, None, state, what)
    _announce(session, [(command.id, state, None, None)])
    return command


def confirm_command(session: Session, command_id: int, actor_id: int | None) -> Command:
    """The second person's confirmation: another user than the requester, with a control-room role;
    the command starts (``running``) and the worker sends it."""
    user = _commander(session, actor_id, "confirming a command")
    command = get_command_row(session, command_id, lock=True)
    if command.state != "awaiting_confirmation":
        raise ConflictError(f"command {command_id} is {command.state.replace('_', ' ')}: nothing to confirm")
    if user.id == command.requested_by:
        raise PermissionDenied(f"command {command_id}: the person who asked for it cannot confirm it; a second "
                               "person (admin, supervisor or operator) must")
    _set_command_state(session, command, "running", user.id, f"confirmed by {user.name}")
    command.confirmed_by, command.confirmed_at = user.id, _now(session)
    session.flush()
    return command


def cancel_command(session: Session, command_id: int, actor_id: int | None, reason: str | None = None) -> Command:
    """Stop a command: targets not yet acknowledged are cancelled (those the device acknowledged are
    still verified; done ones stay); the command is ``cancelled``."""
    user = _commander(session, actor_id, "cancelling a command")
    detail = f"cancelled by {user.name}" + (f": {reason}" if reason else "")
    return _cancel(session, command_id, user.id, detail)


def expire_unconfirmed(session: Session, wait_s: float) -> list[int]:
    """Cancel the commands that waited more than ``wait_s`` seconds for a second person: a junction's
    flashing mode confirmed an hour later is no longer what the requester meant. Their ids. The rows
    stay locked until commit: a confirmation arriving meanwhile waits, then finds the command cancelled."""
    ids = list(session.execute(
        text("SELECT id FROM commands WHERE state = 'awaiting_confirmation' "
             "AND requested_at < clock_timestamp() - make_interval(secs => :wait) ORDER BY id "
             "FOR UPDATE SKIP LOCKED"),
        {"wait": wait_s},
    ).scalars())
    minutes = f"{wait_s / 60:g} min"
    for command_id in ids:
        _cancel(session, command_id, None, f"expired: nobody confirmed it within {minutes}")
    return ids


def _cancel(session: Session, command_id: int, actor_id: int | None, detail: str) -> Command:
    command = get_command_row(session, command_id)
    if command.state in FINISHED_COMMAND_STATES:
        raise ConflictError(f"command {command_id} is already {command.state.replace('_', ' ')}")
    open_rows = session.execute(
        text("SELECT asset_id, state FROM command_targets WHERE command_id = :id AND state = ANY(:states)"),
        {"id": command_id, "states": list(CANCELLABLE_TARGET_STATES)},
    ).all()
    apply_moves(session, [Move(command_id, r.asset_id, r.state, "cancelled", detail) for r in open_rows],
                actor_id=actor_id, refresh=False)
    command = get_command_row(session, command_id, lock=True)
    session.refresh(command)
    if command.state in FINISHED_COMMAND_STATES:  # finished meanwhile
        raise ConflictError(f"command {command_id} is already {command.state.replace('_', ' ')}")
    _set_command_state(session, command, "cancelled", actor_id, detail)
    command.cancelled_by, command.cancelled_at = actor_id, _now(session)
    session.flush()
    return command


# -- moving targets -----------------------------------------------------------------------------------
_MOVE_SQL = """
WITH m AS (
    SELECT * FROM unnest(CAST(:cmd AS int8[]), CAST(:asset AS int8[]), CAST(:old AS text[]), CAST(:new AS text[]),
                         CAST(:detail AS text[]), CAST(:transport AS text[]), CAST(:message AS text[]),
                         CAST(:ack_ts AS timestamptz[]), CAST(:deadline AS timestamptz[]),
                         CAST(:next_at AS timestamptz[]))
        AS m(command_id, asset_id, old, new, detail, transport, message_id, ack_ts, deadline, next_at)
), up AS (
    UPDATE command_targets t SET
        state = m.new,
        detail = m.detail,
        attempts = t.attempts + (m.new = 'sent')::int,
        transport = coalesce(m.transport, t.transport),
        message_id = coalesce(m.message_id, t.message_id),
        sent_at = CASE WHEN m.new = 'sent' THEN clock_timestamp() ELSE t.sent_at END,
        ack_ts = CASE WHEN m.new = 'acknowledged' THEN m.ack_ts ELSE t.ack_ts END,
        acked_at = CASE WHEN m.new = 'acknowledged' THEN clock_timestamp() ELSE t.acked_at END,
        finished_at = CASE WHEN m.new IN ('verified', 'failed', 'timed_out', 'cancelled') THEN clock_timestamp() END,
        deadline = m.deadline,
        next_attempt_at = m.next_at,
        updated_at = clock_timestamp()
    FROM m
    WHERE t.command_id = m.command_id AND t.asset_id = m.asset_id AND t.state = m.old
    RETURNING t.command_id, t.asset_id, m.old, m.new, t.detail, t.attempts
), logged AS (
    INSERT INTO command_log (command_id, asset_id, actor_id, from_state, to_state, attempt, detail)
    SELECT command_id, asset_id, :actor, old, new, attempts, detail FROM up
)
SELECT command_id, asset_id, new FROM up
"""


def apply_moves(session: Session, moves: Sequence[Move], actor_id: int | None = None,
                refresh: bool = True) -> list[Move]:
    """Apply target state changes that are still possible (a target no longer in ``from_state`` — the
    worker and a cancellation crossing — is left as it is); InvalidTransition for a move the state
    machine forbids. Returns the moves applied; refreshes and announces their commands' states."""
    for move in moves:
        check_target_transition(move.from_state, move.to_state)
    applied: list[Move] = []
    rounds: list[list[Move]] = []
    seen: Counter[tuple[int, int]] = Counter()
    for move in moves:  # one target changes at most once per statement: later moves go in later rounds
        key = (move.command_id, move.asset_id)
        if seen[key] == len(rounds):
            rounds.append([])
        rounds[seen[key]].append(move)
        seen[key] += 1
    if moves:
        keys = sorted(seen)
        session.execute(
            text("SELECT 1 FROM command_targets WHERE (command_id, asset_id) IN "
                 "(SELECT * FROM unnest(CAST(:c AS int8[]), CAST(:a AS int8[]))) "
                 "ORDER BY command_id, asset_id FOR UPDATE"),
            {"c": arrays.ints(k[0] for k in keys), "a": arrays.ints(k[1] for k in keys)},
        )
    for batch in rounds:
        done = {(r.command_id, r.asset_id) for r in session.execute(text(_MOVE_SQL), _move_params(batch, actor_id))}
        applied += [m for m in batch if (m.command_id, m.asset_id) in done]
    states = refresh_commands(session, {m.command_id for m in applied}) if refresh else {}
    if not refresh:
        states = dict(session.execute(
            text("SELECT id, state FROM commands WHERE id = ANY(:ids)"), {"ids": list({m.command_id for m in applied})}
        ).tuples().all())
    _announce(session, [(m.command_id, states.get(m.command_id), m.asset_id, m.to_state) for m in applied])
    return applied


def _move_params(batch: Sequence[Move], actor_id: int | None) -> dict[str, Any]:
    return {
        "cmd": arrays.ints(m.command_id for m in batch), "asset": arrays.ints(m.asset_id for m in batch),
        "old": arrays.texts(m.from_state for m in batch), "new": arrays.texts(m.to_state for m in batch),
        "detail": arrays.texts(m.detail for m in batch), "transport": arrays.texts(m.transport for m in batch),
        "message": arrays.texts(m.message_id for m in batch), "ack_ts": arrays.times(m.ack_ts for m in batch),
        "deadline": arrays.times(m.deadline for m in batch),
        "next_at": arrays.times(m.next_attempt_at for m in batch), "actor": actor_id,
    }


def refresh_commands(session: Session, command_ids: Iterable[int]) -> dict[int, str]:
    """Recompute the summary state of commands from their targets (locking them in id order, so that
    two processes finishing the last targets together still see each other's changes); their states."""
    ids = sorted(set(command_ids))
    if not ids:
        return {}
    current = dict(session.execute(
        text("SELECT id, state FROM commands WHERE id = ANY(:ids) ORDER BY id FOR UPDATE"), {"ids": ids}
    ).tuples().all())
    counts: dict[int, Counter[str]] = {i: Counter() for i in ids}
    for command_id, state, n in session.execute(
        text("SELECT command_id, state, count(*) FROM command_targets WHERE command_id = ANY(:ids) GROUP BY 1, 2"),
        {"ids": ids},
    ):
        counts[command_id][state] = n
    for command_id, old in current.items():
        new = summary_state(old, counts[command_id])
        if new != old:
            command = session.get(Command, command_id)
            assert command is not None
            session.refresh(command)
            c = counts[command_id]
            _set_command_state(session, command, new, None,
                               ", ".join(f"{n} {s.replace('_', ' ')}" for s in TARGET_STATES if (n := c.get(s))))
            current[command_id] = new
    return current


def _set_command_state(session: Session, command: Command, new: str, actor_id: int | None, detail: str) -> None:
    check_command_transition(command.state, new)
    old = command.state
    command.state = new
    command.updated_at = _now(session)
    if new in FINISHED_COMMAND_STATES:
        command.finished_at = command.updated_at
    session.flush()
    _log(session, command.id, None, actor_id, old, new, detail)
    _announce(session, [(command.id, new, None, None)])


def _log(session: Session, command_id: int, asset_id: int | None, actor_id: int | None, old: str | None,
         new: str, detail: str | None) -> None:
    session.execute(
        text("INSERT INTO command_log (command_id, asset_id, actor_id, from_state, to_state, detail) "
             "VALUES (:c, :a, :actor, :old, :new, :detail)"),
        {"c": command_id, "a": asset_id, "actor": actor_id, "old": old, "new": new, "detail": detail},
    )


def _announce(session: Session, changes: Sequence[tuple[int, str | None, int | None, str | None]]) -> None:
    """NOTIFY ``citypilot_commands``, one payload per change (sent at commit)."""
    if not changes:
        return
    payloads = [json.dumps({"type": "command", "id": c, "state": s, "asset_id": a, "target_state": t},
                           separators=(",", ":")) for c, s, a, t in changes]
    session.execute(text("SELECT count(pg_notify(:channel, p)) FROM unnest(CAST(:payloads AS text[])) AS p"),
                    {"channel": COMMAND_CHANNEL, "payloads": arrays.texts(payloads)})


def _now(session: Session) -> dt.datetime:
    return session.execute(text("SELECT clock_timestamp()")).scalar_one()
