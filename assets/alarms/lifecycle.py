"""The life of an alarm: raised once per (asset, type) while active, grouped under its cause, acknowledged,
cleared by the device or by hand; every transition in ``alarm_history`` and announced on
:data:`assets.live.channels.ALARM_CHANNEL` in the same transaction (only committed changes are announced).

Facts carry their device time: a fact older than the alarm's last transition changes nothing, so the
rules can be replayed (after a restart) without raising or clearing anything twice. :func:`raise_many`
and :func:`clear_many` do it set-wise (a whole city falling silent is a few statements, not 40,000 round
trips); :func:`raise_alarm` and :func:`clear_active` are the one-alarm forms.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from assets.alarms import correlation
from assets.alarms.catalogue import ALARM_TYPES, CAUSE_TYPES, CHILD_TYPES, SEVERITIES, message_for, severity_for
from assets.alarms.queries import alarm_item, alarm_items
from assets.errors import ConflictError, FieldError, NotFoundError, ValidationError
from assets.live.channels import ALARM_CHANNEL

NOTIFY_LIMIT = 7900  # PostgreSQL refuses NOTIFY payloads of 8000 bytes and more


@dataclass(frozen=True)
class Actor:
    """Who makes a transition: a user (id and name) or the rules (no id, ``rules``)."""

    user_id: int | None
    name: str


RULES = Actor(None, "rules")


@dataclass(frozen=True)
class Fact:
    """Something a rule saw about (``asset_id``, ``type``) at device time ``fact_ts``: raises or clears an alarm.
    ``reason``: clear only an alarm raised for that reason (``detail.reason``)."""

    asset_id: int
    type: str
    fact_ts: dt.datetime
    detail: dict[str, Any] = field(default_factory=dict)
    severity: str | None = None
    reason: str | None = None


def user_actor(session: Session, user_id: int) -> Actor:
    """The actor for a signed-in user."""
    name = session.execute(text("SELECT name FROM users WHERE id = :id"), {"id": user_id}).scalar()
    if name is None:
        raise NotFoundError(f"user {user_id} does not exist")
    return Actor(user_id, name)


# -- announcements and history -------------------------------------------------------------------------
def _payload(action: str, item: dict[str, Any]) -> str:
    payload = json.dumps({"type": "alarm", "action": action, "alarm": item}, separators=(",", ":"), default=str)
    if len(payload.encode()) > NOTIFY_LIMIT:
        payload = json.dumps({"type": "alarm", "action": action, "alarm": {**item, "detail": {}}},
                             separators=(",", ":"), default=str)
    return payload


def announce_many(session: Session, announcements: Sequence[tuple[str, dict[str, Any]]]) -> None:
    """NOTIFY the alarm channel, one payload per (action, item) (delivered when the transaction commits)."""
    if announcements:
        session.execute(
            text("SELECT count(pg_notify(:channel, p)) FROM unnest(CAST(:payloads AS text[])) AS p"),
            {"channel": ALARM_CHANNEL, "payloads": [_payload(action, item) for action, item in announcements]},
        )


def announce(session: Session, action: str, item: dict[str, Any]) -> None:
    announce_many(session, [(action, item)])


def _record(session: Session, alarm_ids: Sequence[int], action: str, actor: Actor,
            details: Sequence[dict[str, Any]] | dict[str, Any]) -> None:
    """History rows: one ``details`` for all, or one per alarm."""
    if not alarm_ids:
        return
    per_alarm = [details] * len(alarm_ids) if isinstance(details, dict) else list(details)
    session.execute(
        text(
            "INSERT INTO alarm_history (alarm_id, action, actor_id, actor, detail) "
            "SELECT a, :action, :actor_id, :actor, CAST(d AS jsonb) "
            "FROM unnest(CAST(:ids AS bigint[]), CAST(:details AS text[])) AS u(a, d)"
        ),
        {"ids": list(alarm_ids), "action": action, "actor_id": actor.user_id, "actor": actor.name,
         "details": [json.dumps(d, default=str) for d in per_alarm]},
    )


def _transition(session: Session, alarm_ids: Sequence[int], action: str, actor: Actor,
                details: Sequence[dict[str, Any]] | dict[str, Any]) -> None:
    _record(session, alarm_ids, action, actor, details)
    items = alarm_items(session, list(alarm_ids))
    announce_many(session, [(action, items[i]) for i in alarm_ids])


def _check(alarm_type: str, severity: str | None) -> None:
    if alarm_type not in ALARM_TYPES:
        raise ValidationError(FieldError("type", f"{alarm_type!r} is not one of {', '.join(ALARM_TYPES)}"))
    if severity is not None and severity not in SEVERITIES:
        raise ValidationError(FieldError("severity", f"{severity!r} is not one of {', '.join(SEVERITIES)}"))


# -- raising ---------------------------------------------------------------------------------------------
def raise_many(session: Session, facts: Sequence[Fact], actor: Actor = RULES) -> list[int]:
    """Raise the alarms of ``facts`` (not causes: see :func:`raise_alarm`), skipping those already active,
    those a newer fact cleared and those of unknown assets; each joins the active cause that affects its asset.
    The new alarms' ids."""
    for f in facts:
        _check(f.type, f.severity)
        if f.type in CAUSE_TYPES:
            raise ValidationError(FieldError("type", f"{f.type} is a cause: raise it with raise_alarm"))
    if not facts:
        return []
    assets = {r.id: r for r in session.execute(
        text("SELECT id, kind, code FROM assets WHERE id = ANY(:ids)"), {"ids": sorted({f.asset_id for f in facts})})}
    facts = [f for f in facts if f.asset_id in assets]
    rows = session.execute(
        text(
            """
            INSERT INTO alarms (asset_id, type, severity, message, detail, fact_ts)
            SELECT u.a, u.t, u.s, u.m, CAST(u.d AS jsonb), u.f
              FROM unnest(CAST(:a AS bigint[]), CAST(:t AS text[]), CAST(:s AS text[]), CAST(:m AS text[]),
                          CAST(:d AS text[]), CAST(:f AS timestamptz[])) WITH ORDINALITY AS u(a, t, s, m, d, f, n)
             WHERE NOT EXISTS (SELECT 1 FROM alarms x WHERE x.asset_id = u.a AND x.type = u.t
                                AND (x.state <> 'cleared' OR x.cleared_fact_ts > u.f))
             ORDER BY u.n
            ON CONFLICT (asset_id, type) WHERE state <> 'cleared' DO NOTHING
            RETURNING id, asset_id, type, detail, fact_ts
            """
        ),
        {
            "a": [f.asset_id for f in facts], "t": [f.type for f in facts],
            "s": [f.severity or severity_for(f.type, assets[f.asset_id].kind) for f in facts],
            "m": [message_for(f.type, assets[f.asset_id].kind, assets[f.asset_id].code, f.detail) for f in facts],
            "d": [json.dumps(f.detail, default=str) for f in facts], "f": [f.fact_ts for f in facts],
        },
    ).all()
    if not rows:
        return []
    ids = [r.id for r in rows]
    children = [r.id for r in rows if r.type in CHILD_TYPES]
    grouped: dict[int, int] = {}
    if children:
        grouped = dict(session.execute(
            text(
                """
                UPDATE alarms al SET cause_id = c.cause
                  FROM (SELECT DISTINCT ON (f.asset_id) f.asset_id, p.id AS cause
                          FROM alarm_affected f JOIN alarms p ON p.id = f.alarm_id AND p.state <> 'cleared'
                         WHERE f.asset_id IN (SELECT asset_id FROM alarms WHERE id = ANY(:ids))
                         ORDER BY f.asset_id, p.id) AS c
                 WHERE al.id = ANY(:ids) AND al.asset_id = c.asset_id
                RETURNING al.id, al.cause_id
                """
            ),
            {"ids": children},
        ).tuples().all())
    _record(session, ids, "raised", actor, [{"fact_ts": r.fact_ts.isoformat(), **(r.detail or {})} for r in rows])
    if grouped:
        _record(session, list(grouped), "grouped", actor, [{"cause_id": c} for c in grouped.values()])
    items = alarm_items(session, ids)
    announce_many(session, [("grouped" if i in grouped else "raised", items[i]) for i in ids])
    return ids


def raise_alarm(
    session: Session,
    asset_id: int,
    alarm_type: str,
    fact_ts: dt.datetime,
    *,
    detail: dict[str, Any] | None = None,
    severity: str | None = None,
    actor: Actor = RULES,
) -> int | None:
    """Raise an alarm of ``alarm_type`` on ``asset_id`` for a fact at ``fact_ts``; its id, or None when one is
    already active or a newer fact cleared the last one. A cause lists what it affects and adopts their
    recent alarms; another alarm joins the active cause that affects its asset."""
    _check(alarm_type, severity)
    asset = session.execute(text("SELECT kind, code FROM assets WHERE id = :id"), {"id": asset_id}).first()
    if asset is None:
        raise NotFoundError(f"asset {asset_id} does not exist")
    detail = detail or {}
    if alarm_type not in CAUSE_TYPES:
        ids = raise_many(session, [Fact(asset_id, alarm_type, fact_ts, detail, severity)], actor)
        return ids[0] if ids else None
    alarm_id = session.execute(
        text(
            """
            INSERT INTO alarms (asset_id, type, severity, message, detail, fact_ts)
            SELECT :asset, :type, :severity, :message, CAST(:detail AS jsonb), :fact_ts
             WHERE NOT EXISTS (SELECT 1 FROM alarms x WHERE x.asset_id = :asset AND x.type = :type
                                AND (x.state <> 'cleared' OR x.cleared_fact_ts > :fact_ts))
            ON CONFLICT (asset_id, type) WHERE state <> 'cleared' DO NOTHING
            RETURNING id
            """
        ),
        {
            "asset": asset_id, "type": alarm_type, "severity": severity or severity_for(alarm_type, asset.kind),
            "message": message_for(alarm_type, asset.kind, asset.code, detail),
            "detail": json.dumps(detail, default=str), "fact_ts": fact_ts,
        },
    ).scalar()
    if alarm_id is None:
        return None
    correlation.record_affected(session, alarm_id, correlation.affected_by(session, asset_id))
    adopted = correlation.adopt_children(session, alarm_id)
    _transition(session, [alarm_id], "raised", actor, {"fact_ts": fact_ts.isoformat(), **detail})
    if adopted:
        _transition(session, adopted, "grouped", actor, {"cause_id": alarm_id, "before_cause": True})
    return alarm_id


# -- clearing --------------------------------------------------------------------------------------------
def clear_many(session: Session, facts: Sequence[Fact], actor: Actor = RULES) -> list[int]:
    """Clear the active alarms of ``facts`` because the device says so, unless raised by a newer fact or (with
    ``reason``) for another reason; the cleared ids."""
    if not facts:
        return []
    rows = session.execute(
        text(
            """
            UPDATE alarms al SET state = 'cleared', cleared_at = now(), cleared_by = NULL, cleared_fact_ts = u.f,
                   updated_at = now()
              FROM unnest(CAST(:a AS bigint[]), CAST(:t AS text[]), CAST(:f AS timestamptz[]), CAST(:r AS text[]),
                          CAST(:d AS text[])) AS u(a, t, f, r, d)
             WHERE al.asset_id = u.a AND al.type = u.t AND al.state <> 'cleared' AND al.fact_ts <= u.f
               AND (u.r IS NULL OR al.detail->>'reason' = u.r)
            RETURNING al.id, u.f, u.d
            """
        ),
        {
            "a": [f.asset_id for f in facts], "t": [f.type for f in facts], "f": [f.fact_ts for f in facts],
            "r": [f.reason for f in facts], "d": [json.dumps(f.detail, default=str) for f in facts],
        },
    ).all()
    _transition(session, [r.id for r in rows], "cleared", actor,
                [{"by": "device", "fact_ts": r.f.isoformat(), **json.loads(r.d)} for r in rows])
    return [r.id for r in rows]


def clear_active(
    session: Session,
    asset_id: int,
    alarm_type: str,
    fact_ts: dt.datetime,
    *,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
    actor: Actor = RULES,
) -> int | None:
    """Clear the active alarm of (``asset_id``, ``alarm_type``) because of a fact at ``fact_ts`` (the device says
    so); its id, or None when there is none, it was raised by a newer fact, or (``reason``) it was raised for
    another reason."""
    ids = clear_many(session, [Fact(asset_id, alarm_type, fact_ts, detail or {}, reason=reason)], actor)
    return ids[0] if ids else None


def _locked(session: Session, alarm_id: int) -> Any:
    row = session.execute(
        text("SELECT al.id, al.state, al.acknowledged_at, u.name AS acknowledged_by FROM alarms al "
             "LEFT JOIN users u ON u.id = al.acknowledged_by WHERE al.id = :id FOR UPDATE OF al"),
        {"id": alarm_id},
    ).first()
    if row is None:
        raise NotFoundError(f"alarm {alarm_id} does not exist")
    return row


def clear_by_hand(session: Session, alarm_id: int, actor: Actor, comment: str | None = None) -> dict[str, Any]:
    """A person clears an active alarm (the fault is dealt with); the alarm's item."""
    row = _locked(session, alarm_id)
    if row.state == "cleared":
        raise ConflictError(f"alarm {alarm_id} is already cleared")
    session.execute(
        text("UPDATE alarms SET state = 'cleared', cleared_at = now(), cleared_by = :by, cleared_fact_ts = now(), "
             "updated_at = now() WHERE id = :id"),
        {"id": alarm_id, "by": actor.user_id},
    )
    _transition(session, [alarm_id], "cleared", actor, {"by": "hand", **({"comment": comment} if comment else {})})
    return alarm_item(session, alarm_id)


# -- acknowledging ---------------------------------------------------------------------------------------
def acknowledge(session: Session, alarm_id: int, actor: Actor, comment: str | None = None) -> dict[str, Any]:
    """A person acknowledges an open alarm (and the open alarms grouped under it); the alarm's item."""
    if actor.user_id is None:
        raise ValidationError(FieldError("user", "an alarm is acknowledged by a person"))
    row = _locked(session, alarm_id)
    if row.state == "cleared":
        raise ConflictError(f"alarm {alarm_id} is cleared: there is nothing to acknowledge")
    if row.state == "acknowledged":
        raise ConflictError(f"alarm {alarm_id} was already acknowledged by {row.acknowledged_by or 'someone'} "
                            f"at {row.acknowledged_at:%Y-%m-%d %H:%M:%S} UTC")
    ids = [alarm_id, *session.execute(
        text("SELECT id FROM alarms WHERE cause_id = :id AND state = 'open' ORDER BY id FOR UPDATE"), {"id": alarm_id}
    ).scalars()]
    session.execute(
        text("UPDATE alarms SET state = 'acknowledged', acknowledged_at = now(), acknowledged_by = :by, "
             "updated_at = now() WHERE id = ANY(:ids)"),
        {"ids": ids, "by": actor.user_id},
    )
    detail = {"comment": comment} if comment else {}
    _transition(session, [alarm_id], "acknowledged", actor, detail)
    _record(session, ids[1:], "acknowledged", actor, {**detail, "with_cause": alarm_id})
    return alarm_item(session, alarm_id)


# -- ungrouping ------------------------------------------------------------------------------------------
def ungroup_orphans(session: Session, after: dt.timedelta) -> list[int]:
    """Children still active ``after`` their cause was cleared stand on their own again; their ids."""
    found = correlation.orphans(session, after)
    if not found:
        return []
    children = [child for child, _ in found]
    session.execute(text("UPDATE alarms SET cause_id = NULL, updated_at = now() WHERE id = ANY(:ids)"),
                    {"ids": children})
    _transition(session, children, "ungrouped", RULES, [{"cause_id": cause} for _, cause in found])
    return children
