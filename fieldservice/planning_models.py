"""Tables of preventive maintenance and escalation: plans (RFC 5545 recurrences), the occurrences already
made into orders, and the escalations of orders at risk of breaching (migration 0019_recurrences)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from assets.models.base import Base, utcnow_column
from fieldservice.models import PRIORITIES, among

SPLITS = ("plan", "commune", "asset")
LEVELS = ("at_risk", "breached")
CLOCK_NAMES = ("response", "make_safe", "resolution")


class MaintenancePlan(Base):
    """A recurring intervention: what (category, assets), when (an RRULE from ``dtstart``, Paris wall time),
    due how long after each occurrence, generated how far ahead, and one order per plan, commune or asset."""

    __tablename__ = "maintenance_plans"
    __table_args__ = (
        CheckConstraint(among("priority", PRIORITIES), name="priority"),
        CheckConstraint(among("split", SPLITS), name="split"),
        CheckConstraint("due_after_min > 0", name="due_after"),
        CheckConstraint("horizon_days BETWEEN 0 AND 366", name="horizon"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str] = mapped_column(Text, nullable=False)
    priority: Mapped[str] = mapped_column(Text, nullable=False, server_default="low")
    rrule: Mapped[str] = mapped_column(Text, nullable=False)
    dtstart: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    due_after_min: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1440")
    horizon_days: Mapped[int] = mapped_column(Integer, nullable=False, server_default="31")
    asset_kind: Mapped[str | None] = mapped_column(Text)
    commune_insee: Mapped[str | None] = mapped_column(Text)
    asset_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger), nullable=False, server_default="{}")
    split: Mapped[str] = mapped_column(Text, nullable=False, server_default="plan")
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="true")
    created_by: Mapped[int | None] = mapped_column(Integer, ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = utcnow_column(nullable=False)


class MaintenanceOccurrence(Base):
    """One occurrence of a plan for one scope ('' for the plan, a commune's INSEE code, an asset id) made
    into an order: its primary key is what makes generation happen once."""

    __tablename__ = "maintenance_occurrences"
    __table_args__ = (Index("ix_maintenance_occurrences_order_id", "order_id"),)
    plan_id: Mapped[int] = mapped_column(Integer, ForeignKey("maintenance_plans.id", ondelete="CASCADE"),
                                         primary_key=True)
    occurs_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    scope: Mapped[str] = mapped_column(Text, primary_key=True)
    order_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("work_orders.id", ondelete="SET NULL"))
    generated_at: Mapped[dt.datetime] = utcnow_column(nullable=False)


class WorkOrderEscalation(Base):
    """An order's clock escalated: at risk (before its due time) or breached; each recorded once."""

    __tablename__ = "work_order_escalations"
    __table_args__ = (
        CheckConstraint(among("clock", CLOCK_NAMES), name="clock"),
        CheckConstraint(among("level", LEVELS), name="level"),
        UniqueConstraint("order_id", "clock", "level"),
        Index("ix_work_order_escalations_at", "at"),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("work_orders.id", ondelete="CASCADE"),
                                          nullable=False)
    clock: Mapped[str] = mapped_column(Text, nullable=False)
    level: Mapped[str] = mapped_column(Text, nullable=False)
    at: Mapped[dt.datetime] = utcnow_column(nullable=False)
    due: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    remaining_min: Mapped[float] = mapped_column(Float, nullable=False)
    crew_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("crews.id", ondelete="SET NULL"))
