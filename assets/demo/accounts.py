"""One demo account per role, so a visitor of the demo can sign in as each kind of user."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from assets.accounts import set_password
from assets.identity import ROLES
from assets.models import User
from assets.users import create_user

DEMO_PEOPLE = {
    "admin": "Agnès Administratrice",
    "planner": "Paul Planificateur",
    "supervisor": "Sophie Superviseure",
    "operator": "Olivier Opérateur",
    "crew": "Camille Technicienne",
    "public": "Public (open data)",
}


@dataclass(frozen=True)
class DemoAccount:
    """A demo sign-in: the user name is the role's, the password is printed by ``make demo``."""

    name: str
    role: str
    password: str


def demo_password(role: str) -> str:
    """The published password of a demo account (demo data only: never for a real city)."""
    return f"citypilot-{role}"


def ensure_demo_accounts(session: Session) -> list[DemoAccount]:
    """Create (or reset the password of) one user per role, named after the role."""
    accounts = []
    for role in ROLES:
        name = f"demo-{role}"
        if session.scalars(select(User).where(User.name == name)).first() is None:
            create_user(session, name, role, DEMO_PEOPLE[role])
        set_password(session, name, demo_password(role))
        accounts.append(DemoAccount(name, role, demo_password(role)))
    return accounts
