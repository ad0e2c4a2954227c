"""Work for the demo's crew tablet (``citypilot demo tablet``, run by ``make demo``): a few open lighting orders
assigned to the crew of the ``demo-crew`` account, on the luminaires nearest its van (else place Darcy), with
clocks at different stages, so the person who signs in on the tablet finds its orders. The simulated crews
leave that crew alone (:mod:`fieldservice.simulated_crews`). Loading twice changes nothing: only the orders the
crew lacks to reach :data:`TABLET_ORDERS` open ones are made."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from sqlalchemy.orm import Session

from fieldservice import dispatch
from fieldservice.access import crews_of
from fieldservice.orders import create_order
from fieldservice.states import CLOSED

DEMO_MEMBER = "demo-crew"
#: (priority, opened minutes ago, description as an operator types it)
TABLET_ORDERS = (
    ("urgent", 100, "Lampadaire éteint, signalé par un riverain"),
    ("urgent", 35, "Lanterne qui clignote"),
    ("high", 90, "Câble apparent au pied du mât"),
    ("normal", 300, "Crosse endommagée"),
)
_LAMPS = text("""
    SELECT a.id FROM assets a
     WHERE a.kind = 'luminaire' AND a.status = 'in_service' AND a.geom IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM work_order_assets wa JOIN work_orders o ON o.id = wa.order_id
                        WHERE wa.asset_id = a.id AND o.state <> ALL(CAST(:closed AS text[])))
     ORDER BY a.geom <-> coalesce(
         (SELECT v.geom FROM crews c JOIN assets v ON v.id = c.vehicle_id WHERE c.id = :crew),
         ST_Transform(ST_SetSRID(ST_MakePoint(5.0345, 47.3226), 4326), 2154))
     LIMIT :n
""")


def seed_tablet_orders(session: Session, member: str = DEMO_MEMBER, now: dt.datetime | None = None) -> list[int]:
    """Open and assign the orders the member's crew lacks (none if it has no crew); their ids."""
    user_id = session.execute(text("SELECT id FROM users WHERE name = :n"), {"n": member}).scalar()
    crew_ids = crews_of(session, user_id) if user_id is not None else []
    if not crew_ids:
        return []
    crew = crew_ids[0]
    open_now = session.execute(text("SELECT count(*) FROM work_orders WHERE crew_id = :c "
                                    "AND state <> ALL(CAST(:closed AS text[]))"),
                               {"c": crew, "closed": list(CLOSED)}).scalar_one()
    wanted = TABLET_ORDERS[:max(0, len(TABLET_ORDERS) - open_now)]
    lamps = session.execute(_LAMPS, {"crew": crew, "closed": list(CLOSED), "n": len(wanted)}).scalars().all()
    when = now or dt.datetime.now(dt.UTC)
    made = []
    for (priority, minutes_ago, description), lamp in zip(wanted, lamps, strict=False):
        opened = when - dt.timedelta(minutes=minutes_ago)
        order = create_order(session, origin="citizen", category="lighting", priority=priority,
                             asset_ids=[lamp], description=description, at=opened)
        dispatch.assign(session, order.id, crew, None, None, at=opened + dt.timedelta(minutes=2))
        made.append(order.id)
    return made
