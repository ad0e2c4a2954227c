"""The contract's tables: the platform's heartbeats (one row per component and minute), the demo history's runs, the
closed months' stored figures."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, DateTime, Float, Integer, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from assets.models.base import Base

COMPONENTS = ("ingest", "web", "broker", "database")
_AMONG = ", ".join(f"'{c}'" for c in COMPONENTS)


class Heartbeat(Base):
    """Whether ``component`` answered in the minute starting at ``minute`` (UTC, whole minutes)."""

    __tablename__ = "heartbeats"
    __table_args__ = (CheckConstraint(f"component IN ({_AMONG})", name="component"),)

    component: Mapped[str] = mapped_column(Text, primary_key=True)
    minute: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    ok: Mapped[bool] = mapped_column(Boolean, nullable=False)
    detail: Mapped[str | None] = mapped_column(Text)


class DemoHistoryRun(Base):
    """One run of ``citypilot demo history``: the window it generated, so a re-run replaces exactly its rows."""

    __tablename__ = "demo_history_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    made_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    lo: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    hi: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    months: Mapped[int] = mapped_column(Integer, nullable=False)
    seed: Mapped[int] = mapped_column(Integer, nullable=False)
    counts: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default="{}")


class ContractMonthFigures(Base):
    """A closed month's clause figures as computed from raw data, with the stamp of the rows and terms they
    were computed from (:mod:`fieldservice.contract.stored`): reused while the stamp is unchanged."""

    __tablename__ = "contract_month_figures"

    month: Mapped[str] = mapped_column(Text, primary_key=True)
    figures: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    stamp: Mapped[str] = mapped_column(Text, nullable=False)
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    seconds: Mapped[float | None] = mapped_column(Float)
