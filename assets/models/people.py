"""The people who act: every change has an author from day one."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from sqlalchemy import Boolean, CheckConstraint, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from assets.identity import ROLES
from assets.models.base import Base, utcnow_column

__all__ = ["ROLES", "User"]


class User(Base):
    """A person or a process acting on the system, with one role."""

    __tablename__ = "users"
    __table_args__: ClassVar[tuple] = (
        CheckConstraint(
            "role IN ('admin', 'planner', 'supervisor', 'operator', 'crew', 'public')", name="role"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    full_name: Mapped[str | None] = mapped_column(Text)
    role: Mapped[str] = mapped_column(Text, nullable=False)
    disabled: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    created_at: Mapped[dt.datetime] = utcnow_column(nullable=False)

    def __repr__(self) -> str:
        return f"<User {self.name} ({self.role})>"
