"""Who may see and do what with work orders, for every client (API, crew tablet, CLI later).

- A crew member sees and moves only the orders of their crews, and only through the work itself (en route,
  on site, made safe, waiting, done): assigning and cancelling are the control room's.
- Supervisors, operators and admins create, assign and move any order.
- Planners read every order and create planned orders only (origin ``planned`` or ``planner``).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from assets.errors import NotFoundError, PermissionDenied

CREW = "crew"
CREATORS = {"admin": None, "supervisor": None, "operator": None, "planner": ("planned", "planner")}
CREW_MOVES = ("en_route", "on_site", "made_safe", "waiting", "done")


def crews_of(session: Session, user_id: int | None) -> list[int]:
    """The crews a user is a member of."""
    return list(session.execute(text("SELECT crew_id FROM crew_members WHERE user_id = :u ORDER BY crew_id"),
                                {"u": user_id}).scalars())


def visible_crews(session: Session, role: str | None, user_id: int | None) -> list[int] | None:
    """The crews whose orders the caller may see (None: every order)."""
    return crews_of(session, user_id) if role == CREW else None


def check_can_see(session: Session, role: str | None, user_id: int | None, order_id: int) -> None:
    """Refuse an order the caller may not see (a crew: not one of its crews')."""
    crew = session.execute(text("SELECT crew_id FROM work_orders WHERE id = :id"), {"id": order_id}).first()
    if crew is None:
        raise NotFoundError(f"work order {order_id} does not exist")
    if role == CREW and crew.crew_id not in crews_of(session, user_id):
        raise PermissionDenied(f"work order {order_id} is not assigned to your crew")


def check_can_create(role: str | None, origin: str) -> None:
    """Refuse an order the caller's role may not open."""
    if role not in CREATORS:
        raise PermissionDenied(f"the role {role} does not open work orders")
    allowed = CREATORS[role]
    if allowed is not None and origin not in allowed:
        raise PermissionDenied(f"a {role} opens planned orders only (origin {' or '.join(allowed)}), not {origin}")


def check_can_move(session: Session, role: str | None, user_id: int | None, order_id: int, to: str) -> None:
    """Refuse a move the caller may not make; a crew moves its own orders through the work only."""
    check_can_see(session, role, user_id, order_id)
    if role == CREW and to not in CREW_MOVES:
        raise PermissionDenied(f"a crew does not move an order to {to}; it moves to {', '.join(CREW_MOVES)}")
    if role == "planner":
        raise PermissionDenied("planners do not move work orders")
