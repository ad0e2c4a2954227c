"""Who is who: the roles, the groups of roles, and what each role may do — one rule for every client.

The web routes declare these groups (``@requires(*EDITORS)``), the desktop and the QGIS plugin ask
the same predicates, and the domain services (commands, privacy, crews, work orders) check them.
This module imports nothing of CityPilot: any layer may use it.
"""

from __future__ import annotations

#: Every role a user may have (the ``users.role`` check constraint lists the same).
ROLES = ("admin", "planner", "supervisor", "operator", "crew", "public")
#: The public: open data, citizens, third parties (no personal or sensitive data).
PUBLIC = "public"
#: Every signed-in role.
SIGNED_IN = ROLES
#: The city's own people (everyone but the public).
STAFF = ("admin", "planner", "supervisor", "operator", "crew")
#: Who edits the inventory.
EDITORS = ("admin", "planner")
#: The control room: who sends, cancels and confirms commands and handles alarms.
CONTROL_ROOM = ("admin", "supervisor", "operator")
ADMIN = ("admin",)
#: Roles that may follow staff on the map (vehicle positions and tracks).
POSITION_ROLES = CONTROL_ROOM


def is_role(role: object) -> bool:
    """Whether ``role`` is one of :data:`ROLES`."""
    return isinstance(role, str) and role in ROLES


def is_staff(role: str | None) -> bool:
    """Whether ``role`` is one of the city's own people."""
    return role in STAFF


def may_edit(role: str | None) -> bool:
    """Whether ``role`` may change the inventory."""
    return role in EDITORS


def in_control_room(role: str | None) -> bool:
    """Whether ``role`` works in the control room (commands, alarms)."""
    return role in CONTROL_ROOM


def may_command(role: str | None) -> bool:
    """Whether ``role`` may send, cancel and confirm commands to devices."""
    return in_control_room(role)


def may_see_positions(role: str | None) -> bool:
    """Whether ``role`` may see where staff vehicles are (live positions, tracks)."""
    return role in POSITION_ROLES


def is_public(role: str | None) -> bool:
    """Whether ``role`` sees only what the public may (no personal or sensitive data)."""
    return role == PUBLIC
