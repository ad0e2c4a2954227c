"""Signing in: passwords (argon2id), API tokens, and rate limiting of failed logins.

Every client (web, CLI, desktop) signs in through here. Login attempts are stored in the database,
so every web worker shares the same counts. No web framework here: callers map the outcomes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from assets.errors import CityPilotError, FieldError, NotFoundError, PermissionDenied, ValidationError
from assets.models import User
from assets.models.accounts import ApiToken, Credential, LoginAttempt
from assets.users import get_user

MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "cp_"
_HASHER = PasswordHasher()  # argon2id, RFC 9106 "low memory" profile (64 MiB, 3 passes)
_DUMMY_HASH = _HASHER.hash("not a password: evens out the time of unknown user names")
_KEEP_ATTEMPTS = dt.timedelta(days=1)
_TOUCH_EVERY = dt.timedelta(minutes=1)  # how often a token's last use is written


class RateLimited(CityPilotError):
    """Too many failed sign-ins: try again after ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"too many failed sign-ins: try again in {retry_after} s")


@dataclass(frozen=True)
class LoginPolicy:
    """Failed sign-ins allowed per user name and per client address within ``window_s`` seconds."""

    per_user: int = 5
    per_ip: int = 20
    window_s: int = 900


@dataclass(frozen=True)
class LoginResult:
    """What a sign-in attempt gave: the user, or why not (``reason``: ``invalid``, ``disabled``,
    ``rate_limited`` with ``retry_after`` seconds)."""

    user: User | None
    reason: str | None = None
    retry_after: int | None = None

    @property
    def ok(self) -> bool:
        return self.user is not None


@dataclass(frozen=True)
class IssuedToken:
    """A new token: ``secret`` is shown once and never stored."""

    token: ApiToken
    secret: str


# -- passwords ----------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (salted, parameters inside)."""
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def set_password(session: Session, name: str, password: str) -> User:
    """Give user ``name`` a new password; every session opened with the old one ends."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(FieldError("password", f"too short: at least {MIN_PASSWORD_LENGTH} characters"))
    if password.strip() != password:
        raise ValidationError(FieldError("password", "must not start or end with spaces"))
    user = get_user(session, name)
    credential = session.get(Credential, user.id)
    if credential is None:
        credential = Credential(user_id=user.id, password_hash=hash_password(password))
        session.add(credential)
    else:
        credential.password_hash = hash_password(password)
        credential.password_set_at = func.clock_timestamp()
    session.flush()
    session.refresh(credential)
    return user


def password_stamp(session: Session, user_id: int) -> str | None:
    """A value that changes with the user's password (kept in a web session to end it on change)."""
    credential = session.get(Credential, user_id)
    return None if credential is None else credential.password_set_at.isoformat()


def session_user(session: Session, user_id: int, stamp: str | None) -> User | None:
    """The user behind a web session if it is still good: enabled, and the password unchanged since."""
    user = session.get(User, user_id)
    if user is None or user.disabled or password_stamp(session, user_id) != stamp:
        return None
    return user


# -- signing in, rate limited -------------------------------------------------------------------


def login_key(name: str) -> str:
    """How a typed user name is counted for rate limiting (case and surrounding spaces ignored)."""
    return name.strip().lower()[:200]


def attempt_login(
    session: Session, name: str, password: str, ip: str, policy: LoginPolicy = LoginPolicy()
) -> LoginResult:
    """Check a sign-in and record the attempt; the caller commits even when it fails.

    Refused without checking the password while the user name or the address has too many recent
    failures. A success resets the user name's count, not the address's.
    """
    key = login_key(name)
    retry = retry_after(session, key, ip, policy)
    if retry is not None:
        return LoginResult(None, "rate_limited", retry)
    user = session.scalars(select(User).where(User.name == name.strip())).first()
    credential = session.get(Credential, user.id) if user is not None else None
    good = verify_password(credential.password_hash if credential else _DUMMY_HASH, password)
    good = good and credential is not None
    if good and user is not None and user.disabled:
        _record(session, key, ip, succeeded=False)
        return LoginResult(None, "disabled")
    _record(session, key, ip, succeeded=good)
    if not good or user is None or credential is None:
        return LoginResult(None, "invalid")
    if _HASHER.check_needs_rehash(credential.password_hash):
        credential.password_hash = hash_password(password)
    credential.last_login_at = func.now()
    session.flush()
    return LoginResult(user)


def retry_after(session: Session, key: str, ip: str, policy: LoginPolicy) -> int | None:
    """Seconds before ``key`` or ``ip`` may try again, or None when they may now."""
    waits = [
        _wait(session, "user_name", key, policy.per_user, policy.window_s, reset_on_success=True),
        _wait(session, "ip", ip, policy.per_ip, policy.window_s, reset_on_success=False),
    ]
    waits = [w for w in waits if w is not None]
    return max(waits) if waits else None


def _wait(
    session: Session, column: str, value: str, allowed: int, window_s: int, *, reset_on_success: bool
) -> int | None:
    since_success = (
        f"AND at > coalesce((SELECT max(at) FROM login_attempts WHERE {column} = :value AND succeeded), "
        "'-infinity')"
        if reset_on_success else ""
    )
    oldest = session.execute(
        text(
            f"SELECT ceil(extract(epoch FROM at + make_interval(secs => :window) - now())) FROM login_attempts "
            f"WHERE {column} = :value AND NOT succeeded AND at > now() - make_interval(secs => :window) "
            f"{since_success} ORDER BY at DESC OFFSET :skip LIMIT 1"
        ),
        {"value": value, "window": window_s, "skip": max(allowed - 1, 0)},
    ).scalar()
    return None if oldest is None else max(int(oldest), 1)


def _record(session: Session, key: str, ip: str, *, succeeded: bool) -> None:
    session.add(LoginAttempt(user_name=key, ip=ip, succeeded=succeeded))
    if not succeeded:
        session.execute(delete(LoginAttempt).where(LoginAttempt.at < func.now() - _KEEP_ATTEMPTS))
    session.flush()


# -- API tokens ---------------------------------------------------------------------------------


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(session: Session, name: str, label: str, expires_days: int | None = None) -> IssuedToken:
    """A new API token for user ``name``; its secret is in the result only."""
    label = label.strip()
    errors = []
    if not label:
        errors.append(FieldError("label", "missing: name the integration the token is for"))
    if expires_days is not None and expires_days <= 0:
        errors.append(FieldError("expires", "must be a positive number of days"))
    if errors:
        raise ValidationError(errors)
    user = get_user(session, name)
    if user.disabled:
        raise PermissionDenied(f"user {name!r} is disabled")
    taken = session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.label == label, ApiToken.revoked_at.is_(None))
    ).first()
    if taken is not None:
        raise ValidationError(FieldError("label", f"{name} already has a token labelled {label!r}"))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id, label=label, token_hash=_digest(secret), prefix=secret[: len(TOKEN_PREFIX) + 6],
        expires_at=(func.now() + dt.timedelta(days=expires_days)) if expires_days else None,
    )
    session.add(token)
    session.flush()
    session.refresh(token)
    return IssuedToken(token, secret)


def resolve_token(session: Session, secret: str) -> User:
    """The user a bearer token acts for; PermissionDenied when unknown, revoked, expired or disabled."""
    token = session.scalars(select(ApiToken).where(ApiToken.token_hash == _digest(secret))).first()
    if token is None or token.revoked_at is not None:
        raise PermissionDenied("unknown or revoked API token")
    now = session.execute(select(func.now())).scalar_one()
    if token.expires_at is not None and token.expires_at <= now:
        raise PermissionDenied("expired API token")
    user = session.get(User, token.user_id)
    if user is None or user.disabled:
        raise PermissionDenied("the token's user is disabled")
    if token.last_used_at is None or now - token.last_used_at > _TOUCH_EVERY:
        token.last_used_at = now
        session.flush()
    return user


def list_tokens(session: Session, name: str | None = None) -> list[tuple[ApiToken, str]]:
    """Tokens (of user ``name``, or everyone's) with their user's name, newest first."""
    query = select(ApiToken, User.name).join(User, User.id == ApiToken.user_id).order_by(ApiToken.id.desc())
    if name is not None:
        query = query.where(ApiToken.user_id == get_user(session, name).id)
    return [(token, user_name) for token, user_name in session.execute(query)]


def token_status(token: ApiToken, now: dt.datetime) -> str:
    """``active``, ``expired`` or ``revoked``."""
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    return "active"


def revoke_token(session: Session, name: str, label: str) -> ApiToken:
    """Revoke user ``name``'s active token labelled ``label``."""
    user = get_user(session, name)
    token = session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.label == label, ApiToken.revoked_at.is_(None))
    ).first()
    if token is None:
        raise NotFoundError(f"{name} has no active token labelled {label!r} (see `citypilot tokens list`)")
    token.revoked_at = func.now()
    session.flush()
    session.refresh(token)
    return token


def last_logins(session: Session) -> dict[int, dt.datetime | None]:
    """When each user who has a password last signed in."""
    rows = session.execute(select(Credential.user_id, Credential.last_login_at))
    return {user_id: at for user_id, at in rows}
