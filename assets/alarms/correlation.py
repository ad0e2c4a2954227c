"""Topology correlation: what a cause (cabinet trip, fibre failure) affects, and which cause explains an alarm.

What a cause affects is :func:`assets.topology.feeds` of its asset (the hierarchy below a cabinet; what
loses every path to a PoP for a fibre node or segment) without the passive kinds (circuits, poles,
cables: they do not talk, so they raise nothing); for a fibre failure, also the energy meters of the
buildings and cabinets it cuts off (their Modbus link runs over that fibre).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from sqlalchemy.orm import Session

from assets.alarms.catalogue import CHILD_TYPES
from assets.kinds import passive_kinds
from assets.topology import FIBRE_KINDS, feeds

#: A child raised this long before its cause is still adopted by it (older ones are another failure).
ADOPT_WINDOW = dt.timedelta(hours=1)


def affected_by(session: Session, asset_id: int) -> list[int]:
    """The assets a failure of ``asset_id`` affects (sorted ids)."""
    fed = feeds(session, asset_id)
    passive = passive_kinds()
    ids = {a.id for a in fed if a.kind not in passive}
    kind = session.execute(text("SELECT kind FROM assets WHERE id = :id"), {"id": asset_id}).scalar()
    if kind in FIBRE_KINDS and fed:
        meters = session.execute(
            text("SELECT energy_meter_id FROM assets WHERE id = ANY(:ids) AND energy_meter_id IS NOT NULL"),
            {"ids": [a.id for a in fed]},
        ).scalars()
        ids.update(meters)
    return sorted(ids)


def record_affected(session: Session, alarm_id: int, asset_ids: list[int]) -> None:
    if asset_ids:
        session.execute(
            text("INSERT INTO alarm_affected (alarm_id, asset_id) SELECT :id, unnest(CAST(:ids AS bigint[])) "
                 "ON CONFLICT DO NOTHING"),
            {"id": alarm_id, "ids": asset_ids},
        )


def cause_of(session: Session, asset_id: int) -> int | None:
    """The oldest active cause alarm that affects ``asset_id``, if any."""
    return session.execute(
        text(
            "SELECT al.id FROM alarm_affected f JOIN alarms al ON al.id = f.alarm_id "
            "WHERE f.asset_id = :asset AND al.state <> 'cleared' ORDER BY al.id LIMIT 1"
        ),
        {"asset": asset_id},
    ).scalar()


def adopt_children(session: Session, cause_id: int, window: dt.timedelta = ADOPT_WINDOW) -> list[int]:
    """Group under ``cause_id`` the active, ungrouped alarms of what it affects raised in the last ``window``
    (those that arrived before their cause); their ids."""
    return list(
        session.execute(
            text(
                """
                UPDATE alarms al SET cause_id = :cause, updated_at = now()
                  FROM alarm_affected f
                 WHERE f.alarm_id = :cause AND al.asset_id = f.asset_id AND al.state <> 'cleared'
                   AND al.cause_id IS NULL AND al.type = ANY(:types) AND al.raised_at >= now() - :window
                RETURNING al.id
                """
            ),
            {"cause": cause_id, "types": list(CHILD_TYPES), "window": window},
        ).scalars()
    )


def orphans(session: Session, after: dt.timedelta) -> list[tuple[int, int]]:
    """(child, cause) of active children whose cause was cleared more than ``after`` ago: the device did
    not come back with its cause, so the child now stands on its own."""
    return [
        (r[0], r[1])
        for r in session.execute(
            text(
                "SELECT c.id, p.id FROM alarms c JOIN alarms p ON p.id = c.cause_id "
                "WHERE c.state <> 'cleared' AND p.state = 'cleared' AND p.cleared_at < now() - :after "
                "ORDER BY c.id FOR UPDATE OF c"
            ),
            {"after": after},
        )
    ]
