"""Live data tables: live state per asset, telemetry history, vehicle tracks, events, dead letters.

High-volume history tables (``telemetry``, ``vehicle_positions``, ``ingest_keys``) are range
partitioned on the device time; their partitions live in the ``live_parts`` schema and are created
ahead and dropped after the retention by :mod:`assets.live.partitions`. A default partition takes
whatever falls outside, so nothing is ever refused.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from assets.live.records import LIVE_STATES
from assets.models.base import Base, utcnow_column
from gis.crs import STORAGE_SRID

PARTS_SCHEMA = "live_parts"
_STATES = ", ".join(f"'{s}'" for s in LIVE_STATES)


def _point() -> Geometry:
    return Geometry(geometry_type="POINT", srid=STORAGE_SRID, spatial_index=False)


class LiveState(Base):
    """What a device last said about its asset: one row per asset, the newest by device time.

    ``ts`` is the device time of the newest message, ``state_ts`` of the newest one that told the
    state, ``state_since`` since when the state holds, ``last_seen`` when CityPilot last heard from the
    device at all; ``expected_interval_s`` is how often it should report (for "unreachable").
    ``values`` holds the latest value of each metric; ``geom`` the last position of a vehicle.
    """

    __tablename__ = "live_state"
    # Rewritten at every message of every device: no secondary index (so updates stay HOT, in place,
    # with the room the migration's fillfactor 70 leaves); counting ~40,000 rows by state or reading ~200 vehicle
    # positions is a sequential scan of a small table.
    __table_args__ = (
        CheckConstraint(f"state IN ({_STATES})", name="state"),
    )

    asset_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(Text, nullable=False, server_default="unknown")
    state_ts: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    state_since: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    ts: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    last_seen: Mapped[dt.datetime] = utcnow_column(nullable=False)
    expected_interval_s: Mapped[int | None] = mapped_column(Integer)
    values: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default="{}")
    geom: Mapped[WKBElement | None] = mapped_column(_point())
    speed_kmh: Mapped[float | None] = mapped_column(Float)
    heading_deg: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str | None] = mapped_column(Text)


class Metric(Base):
    """The names of telemetry metrics (``power_w``, ``laeq_db``...), numbered for narrow history rows."""

    __tablename__ = "live_metrics"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(Text, nullable=False, unique=True)


#: Telemetry history, one narrow row per value: no primary key (a message is deduplicated by its
#: ``ingest_keys`` row); ``text_value`` holds the rare non-numeric value, booleans are 0/1.
telemetry = Table(
    "telemetry",
    Base.metadata,
    Column("asset_id", BigInteger, nullable=False),
    Column("ts", DateTime(timezone=True), nullable=False),
    Column("metric_id", SmallInteger, nullable=False),
    Column("value", Float),
    Column("text_value", Text),
    Index("ix_telemetry_asset_id_metric_id_ts", "asset_id", "metric_id", "ts"),
    postgresql_partition_by="RANGE (ts)",
)


class IngestKey(Base):
    """The identity of every stored device message (with its device time): the deduplication."""

    __tablename__ = "ingest_keys"
    __table_args__ = {"postgresql_partition_by": "RANGE (ts)"}

    key: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    ts: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), primary_key=True)


class IngestCount(Base):
    """Messages stored, per day and per ingest client (no contention between ingest processes)."""

    __tablename__ = "ingest_counts"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    client: Mapped[str] = mapped_column(Text, primary_key=True)
    messages: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")


class VehiclePosition(Base):
    """One GPS fix of a vehicle (its track); kept ``live_retention`` days (CNIL: two months)."""

    __tablename__ = "vehicle_positions"
    __table_args__ = {"postgresql_partition_by": "RANGE (ts)"}

    asset_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    ts: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    geom: Mapped[WKBElement] = mapped_column(_point(), nullable=False)
    speed_kmh: Mapped[float | None] = mapped_column(Float)
    heading_deg: Mapped[float | None] = mapped_column(Float)
    altitude_m: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str | None] = mapped_column(Text)


class DeviceEvent(Base):
    """An event a device reported (lamp failure, command acknowledgement...)."""

    __tablename__ = "device_events"
    __table_args__ = (Index("ix_device_events_asset_id_ts", "asset_id", "ts"),
                      Index("ix_device_events_received_at", "received_at"))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    asset_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("assets.id", ondelete="CASCADE"), nullable=False)
    ts: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default="{}")
    source: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[dt.datetime] = utcnow_column(nullable=False)


class DeadLetter(Base):
    """A message nobody could read: the raw bytes, where it came from, and why it was refused."""

    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    received_at: Mapped[dt.datetime] = utcnow_column(nullable=False, index=True)
    connector: Mapped[str | None] = mapped_column(Text)
    topic: Mapped[str] = mapped_column(Text, nullable=False)
    format: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    payload: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)


class ConnectorConfig(Base):
    """A saved connector (an MQTT broker to read...), checked against the real thing before saving."""

    __tablename__ = "connector_configs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    config: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default="{}")
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="true")
    checked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = utcnow_column(nullable=False)
    updated_at: Mapped[dt.datetime] = utcnow_column(nullable=False)


class LiveRetention(Base):
    """How a history table is cut (``day`` / ``month``; ``none``: not partitioned, old rows deleted)
    and how long it is kept."""

    __tablename__ = "live_retention"
    __table_args__ = (CheckConstraint("part_interval IN ('day', 'month', 'none')", name="part_interval"),
                      CheckConstraint("keep_days > 0", name="keep_days"))

    table_name: Mapped[str] = mapped_column(Text, primary_key=True)
    part_interval: Mapped[str] = mapped_column(Text, nullable=False, server_default="day")
    keep_days: Mapped[int] = mapped_column(Integer, nullable=False)
    premake_days: Mapped[int] = mapped_column(Integer, nullable=False, server_default="3")
