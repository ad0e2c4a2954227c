"""The demo's crews at work (``citypilot simulate crews``; never for a real city): a crew given an order
sets off (en route) and its van is sent there by the vehicle simulator; the arrival is stamped from the
van's track (:mod:`fieldservice.visits`) like any other; after ``work_min`` on site the crew ticks the
required checklist, records its labour, makes safe and closes, and the repaired devices are reset so
they report ok again — which verifies an alarm's order through the same rule as in the street. Crews with a
member who signs in (the demo's ``demo-crew`` on the tablet) are not simulated: their orders wait for them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.orm import Session

from assets.errors import ValidationError
from fieldservice import worklog
from fieldservice.orders import transition

REASON = "simulated crew"
#: A crew with a member who signs in (a password: a person with the tablet, e.g. ``demo-crew``) works its
#: orders itself; the simulator leaves them alone.
_SIMULATED = """NOT EXISTS (SELECT 1 FROM crew_members h JOIN user_credentials k ON k.user_id = h.user_id
                              WHERE h.crew_id = o.crew_id)"""


@dataclass
class Instruction:
    """What the device simulator must do: send a van to a site, or repair devices."""

    action: str  # "dispatch" (again at every step until the van arrives) | "repair"
    order_id: int
    vehicle: str | None = None
    x: float | None = None
    y: float | None = None
    stop_s: float = 0.0
    assets: list[str] = field(default_factory=list)


_ASSIGNED = text(f"""
    SELECT o.id, o.state, v.code AS vehicle, ST_X(s.geom) AS x, ST_Y(s.geom) AS y,
           (SELECT m.user_id FROM crew_members m WHERE m.crew_id = o.crew_id ORDER BY m.user_id LIMIT 1) AS member
      FROM work_orders o JOIN crews c ON c.id = o.crew_id JOIN assets v ON v.id = c.vehicle_id
      CROSS JOIN LATERAL (SELECT coalesce((SELECT ST_PointOnSurface(a.geom) FROM work_order_assets wa
                                             JOIN assets a ON a.id = wa.asset_id
                                            WHERE wa.order_id = o.id AND a.geom IS NOT NULL
                                            ORDER BY a.id LIMIT 1), o.geom) AS geom) s
     WHERE s.geom IS NOT NULL AND (o.state = 'assigned' OR (o.state = 'en_route' AND NOT EXISTS (
           SELECT 1 FROM work_order_visits w WHERE w.order_id = o.id))) AND {_SIMULATED}
     ORDER BY o.id
""")
_WORKING = text(f"""
    SELECT o.id, o.state, o.arrived_at,
           (SELECT m.user_id FROM crew_members m WHERE m.crew_id = o.crew_id ORDER BY m.user_id LIMIT 1) AS member,
           ARRAY(SELECT a.code FROM work_order_assets wa JOIN assets a ON a.id = wa.asset_id
                  WHERE wa.order_id = o.id ORDER BY a.id) AS assets
      FROM work_orders o
     WHERE o.state IN ('on_site', 'made_safe') AND o.arrived_at <= :ready AND o.crew_id IS NOT NULL
       AND {_SIMULATED}
     ORDER BY o.id
""")


def play(session: Session, now: dt.datetime | None = None, work_min: float = 8.0) -> list[Instruction]:
    """One step of every simulated crew; what the device simulator must do for it."""
    when = now or dt.datetime.now(dt.UTC)
    out: list[Instruction] = []
    for row in session.execute(_ASSIGNED).all():  # and those on their way whose van has not arrived yet
        if row.state == "assigned":
            transition(session, row.id, "en_route", row.member, reason=REASON, at=when)
        out.append(Instruction("dispatch", row.id, row.vehicle, float(row.x), float(row.y),
                               stop_s=work_min * 60 + 180))
    ready = when - dt.timedelta(minutes=work_min)
    for row in session.execute(_WORKING, {"ready": ready}).all():
        record = worklog.work_record(session, row.id)
        for item in record["checklist"]:
            if item["required"] and not item["done"]:
                worklog.tick(session, row.id, item["key"], True, row.member, note=REASON, at=when)
        if row.member is not None and not record["labour"]:
            with contextlib.suppress(ValidationError):  # already on another order at the time: not recorded twice
                worklog.add_labour(session, row.id, row.member, row.arrived_at, when, row.member)
        if row.state == "on_site":
            transition(session, row.id, "made_safe", row.member, reason=REASON, at=when)
        transition(session, row.id, "done", row.member, reason=REASON, at=when, require_proof=True)
        out.append(Instruction("repair", row.id, assets=list(row.assets)))
    return out
