"""The roles and what each may do are domain rules (assets.identity), the same for web, desktop and plugin."""

from __future__ import annotations

from assets import identity, privacy
from assets.commands.actions import COMMAND_ROLES
from assets.models import User


def test_groups_are_made_of_roles() -> None:
    for group in (identity.SIGNED_IN, identity.STAFF, identity.EDITORS, identity.CONTROL_ROOM, identity.ADMIN,
                  identity.POSITION_ROLES):
        assert set(group) <= set(identity.ROLES)
    assert set(identity.STAFF) == set(identity.ROLES) - {identity.PUBLIC}


def test_what_each_role_may_do() -> None:
    may = {role: (identity.may_edit(role), identity.in_control_room(role), identity.may_see_positions(role),
                  identity.is_staff(role))
           for role in identity.ROLES}
    assert may == {
        "admin": (True, True, True, True),
        "planner": (True, False, False, True),
        "supervisor": (False, True, True, True),
        "operator": (False, True, True, True),
        "crew": (False, False, False, True),
        "public": (False, False, False, False),
    }
    assert not identity.may_edit(None) and not identity.in_control_room(None)
    assert identity.is_role("crew") and not identity.is_role("anyone") and not identity.is_role(3)


def test_one_source_of_truth() -> None:
    """The users table, the privacy rules, the commands and the web's declarations use the same groups."""
    from app.web.auth import roles

    assert privacy.may_see_positions is identity.may_see_positions
    assert COMMAND_ROLES is identity.CONTROL_ROOM
    assert roles.EDITORS is identity.EDITORS and roles.ROLES is identity.ROLES
    constraint = next(c for c in User.__table__.constraints if "role" in str(getattr(c, "sqltext", "")))
    assert all(f"'{role}'" in str(constraint.sqltext) for role in identity.ROLES)
