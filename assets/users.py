"""The people who act: create, list, disable, and resolve the actor of a change."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assets.errors import FieldError, NotFoundError, PermissionDenied, ValidationError
from assets.identity import ROLES
from assets.models import User

SYSTEM_USER = "system"


def create_user(session: Session, name: str, role: str, full_name: str | None = None) -> User:
    """Add a user; the name is their login and must be unique."""
    name = name.strip()
    errors = []
    if not name:
        errors.append(FieldError("name", "missing"))
    if role not in ROLES:
        errors.append(FieldError("role", f"{role!r} is not one of {', '.join(ROLES)}"))
    if errors:
        raise ValidationError(errors)
    if session.scalars(select(User).where(User.name == name)).first() is not None:
        raise ValidationError(FieldError("name", f"a user named {name!r} already exists"))
    user = User(name=name, role=role, full_name=full_name)
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:
        raise ValidationError(FieldError("name", f"a user named {name!r} already exists")) from exc
    return user


def list_users(session: Session, include_disabled: bool = True) -> list[User]:
    """Users by name."""
    query = select(User).order_by(User.name)
    if not include_disabled:
        query = query.where(User.disabled.is_(False))
    return list(session.scalars(query))


def get_user(session: Session, name: str) -> User:
    """The user called ``name``; NotFoundError otherwise."""
    user = session.scalars(select(User).where(User.name == name)).first()
    if user is None:
        raise NotFoundError(f"no user named {name!r} (see `citypilot users list`)")
    return user


def disable_user(session: Session, name: str) -> User:
    """A disabled user keeps their history but can no longer act."""
    user = get_user(session, name)
    user.disabled = True
    session.flush()
    return user


def active_user(session: Session, name: str) -> User:
    """The user called ``name`` if they may act; PermissionDenied when disabled."""
    user = get_user(session, name)
    if user.disabled:
        raise PermissionDenied(f"user {name!r} is disabled")
    return user
