"""Alarm tables: the alarms, what a cause affects, every transition, sensor thresholds, the engine's cursor.

An alarm is *active* while its state is ``open`` or ``acknowledged``; a partial unique index keeps one
active alarm per (asset, type), so "raise once" holds even with two engines racing. ``fact_ts`` is the
device time of the fact that raised it and ``cleared_fact_ts`` of the fact that cleared it: the rules
compare device times, so a fact older than the last transition changes nothing (replays are harmless).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from assets.alarms.catalogue import ACTIONS, ALARM_STATES, ALARM_TYPES, SEVERITIES
from assets.models.base import Base, utcnow_column


def _among(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Alarm(Base):
    """One alarm on one asset: raised by a rule, acknowledged by a person, cleared by the device or by hand.

    ``cause_id``: the cause alarm (cabinet trip, fibre failure) this one is grouped under; grouped
    alarms are not listed on their own.
    """

    __tablename__ = "alarms"
    __table_args__ = (
        CheckConstraint(_among("type", ALARM_TYPES), name="type"),
        CheckConstraint(_among("severity", SEVERITIES), name="severity"),
        CheckConstraint(_among("state", ALARM_STATES), name="state"),
        Index("uq_alarms_active_asset_type", "asset_id", "type", unique=True,
              postgresql_where=text("state <> 'cleared'")),
        Index("ix_alarms_asset_id_type_id", "asset_id", "type", "id"),
        Index("ix_alarms_cause_id", "cause_id"),
        Index("ix_alarms_active_raised_at", "raised_at", postgresql_where=text("state <> 'cleared'")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    asset_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("assets.id", ondelete="CASCADE"), nullable=False)
    type: Mapped[str] = mapped_column(Text, nullable=False)
    severity: Mapped[str] = mapped_column(Text, nullable=False)
    state: Mapped[str] = mapped_column(Text, nullable=False, server_default="open")
    message: Mapped[str] = mapped_column(Text, nullable=False)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default="{}")
    fact_ts: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    raised_at: Mapped[dt.datetime] = utcnow_column(nullable=False)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_by: Mapped[int | None] = mapped_column(Integer, ForeignKey("users.id", ondelete="SET NULL"))
    cleared_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    cleared_by: Mapped[int | None] = mapped_column(Integer, ForeignKey("users.id", ondelete="SET NULL"))
    cleared_fact_ts: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    cause_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("alarms.id", ondelete="SET NULL"))
    updated_at: Mapped[dt.datetime] = utcnow_column(nullable=False)


class AlarmAffected(Base):
    """An asset a cause alarm affects (what the cabinet or the fibre element fed when it failed)."""

    __tablename__ = "alarm_affected"
    __table_args__ = (Index("ix_alarm_affected_asset_id", "asset_id"),)

    alarm_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("alarms.id", ondelete="CASCADE"), primary_key=True)
    asset_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True)


class AlarmEvent(Base):
    """One transition of an alarm: raised, grouped, acknowledged, cleared... by whom (a user or the rules)."""

    __tablename__ = "alarm_history"
    __table_args__ = (
        CheckConstraint(_among("action", ACTIONS), name="action"),
        Index("ix_alarm_history_alarm_id_id", "alarm_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    alarm_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("alarms.id", ondelete="CASCADE"), nullable=False)
    at: Mapped[dt.datetime] = utcnow_column(nullable=False)
    action: Mapped[str] = mapped_column(Text, nullable=False)
    actor_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(Text, nullable=False)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default="{}")


class AlarmThreshold(Base):
    """A sensor threshold: per sensor type and metric, crossed above ``above`` or below ``below``, on the
    latest value (``window_s`` 0) or on the mean over the last ``window_s`` seconds; it clears once the
    value is back ``hysteresis`` inside the limit."""

    __tablename__ = "alarm_thresholds"
    __table_args__ = (
        CheckConstraint("above IS NOT NULL OR below IS NOT NULL", name="a_limit"),
        CheckConstraint("hysteresis >= 0", name="hysteresis"),
        CheckConstraint("window_s >= 0", name="window_s"),
        CheckConstraint(_among("severity", SEVERITIES), name="severity"),
    )

    sensor_type: Mapped[str] = mapped_column(Text, primary_key=True)
    metric: Mapped[str] = mapped_column(Text, primary_key=True)
    above: Mapped[float | None] = mapped_column(Float)
    below: Mapped[float | None] = mapped_column(Float)
    hysteresis: Mapped[float] = mapped_column(Float, nullable=False, server_default="0")
    window_s: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    severity: Mapped[str] = mapped_column(Text, nullable=False, server_default="warning")
    source: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = utcnow_column(nullable=False)


class AlarmCursor(Base):
    """Where the alarm engine is in ``device_events`` (restart-safe: it resumes after the last one it read)."""

    __tablename__ = "alarm_cursors"

    name: Mapped[str] = mapped_column(Text, primary_key=True)
    event_id: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")
    updated_at: Mapped[dt.datetime] = utcnow_column(nullable=False)
