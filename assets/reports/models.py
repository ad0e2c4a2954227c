"""Citizen-report tables: the registered apps (API keys) and the reports.

A report keeps who sent it (``email``, ``first_name``...) for the city only: none of it is ever
published. ``asset_id`` is the asset it was snapped to; ``duplicate_of`` the earlier open report of
the same asset it was merged with; ``evidence`` what the device said when it arrived; ``flagged``
that the device contradicts it (an operator looks, a photo is asked).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from assets.models.base import Base, utcnow_column

REPORT_STATUSES = ("open", "closed")


class ReportClient(Base):
    """A registered app allowed to post reports, by its API key (stored as a SHA-256 digest)."""

    __tablename__ = "report_clients"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    key_sha256: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    created_at: Mapped[dt.datetime] = utcnow_column(nullable=False)
    disabled: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))


class CitizenReport(Base):
    """One service request."""

    __tablename__ = "citizen_reports"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'closed')", name="status"),
        Index("ix_citizen_reports_asset_open", "asset_id", postgresql_where=text("status = 'open'")),
        Index("ix_citizen_reports_requested_at", "requested_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    service_code: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default="open")
    status_notes: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    geom: Mapped[WKBElement | None] = mapped_column(Geometry("POINT", srid=2154, spatial_index=False))
    asset_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("assets.id", ondelete="SET NULL"))
    snap_m: Mapped[float | None] = mapped_column()
    duplicate_of: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("citizen_reports.id"))
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default="{}")
    flagged: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    media_url: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    first_name: Mapped[str | None] = mapped_column(Text)
    last_name: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    client_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("report_clients.id"))
    requested_at: Mapped[dt.datetime] = utcnow_column(nullable=False)
    updated_at: Mapped[dt.datetime] = utcnow_column(nullable=False)
    lang: Mapped[str | None] = mapped_column(Text)
