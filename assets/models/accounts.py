"""Sign-in: a user's password, the API tokens of integrations, and login attempts (rate limiting).

Kept apart from ``users`` (who acts) so that no listing of people ever reads a password hash.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from assets.models.base import Base, utcnow_column


class Credential(Base):
    """A user's password (argon2id hash) and when they last signed in; one row per user who has one."""

    __tablename__ = "user_credentials"

    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    password_hash: Mapped[str] = mapped_column(Text, nullable=False)
    password_set_at: Mapped[dt.datetime] = utcnow_column(nullable=False)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ApiToken(Base):
    """A named bearer token of one user, for integrations; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"
    __table_args__: ClassVar[tuple] = (
        Index(
            "uq_api_tokens_user_id_label", "user_id", "label", unique=True,
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    label: Mapped[str] = mapped_column(Text, nullable=False)
    token_hash: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    prefix: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[dt.datetime] = utcnow_column(nullable=False)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class LoginAttempt(Base):
    """One sign-in attempt by user name (folded) and client address; shared by every web worker."""

    __tablename__ = "login_attempts"
    __table_args__: ClassVar[tuple] = (
        Index("ix_login_attempts_user_name_at", "user_name", "at"),
        Index("ix_login_attempts_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = utcnow_column(nullable=False)
    user_name: Mapped[str] = mapped_column(Text, nullable=False)
    ip: Mapped[str] = mapped_column(Text, nullable=False)
    succeeded: Mapped[bool] = mapped_column(Boolean, nullable=False)
