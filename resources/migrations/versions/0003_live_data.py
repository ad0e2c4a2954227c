"""Live data: live state, telemetry history, vehicle tracks, events, dead letters, connectors.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

from resources.migrations.sql import load_sql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

POINT = Geometry(geometry_type="POINT", srid=2154, dimension=2, spatial_index=False)


def upgrade() -> None:
    op.create_table(
        "live_state",
        sa.Column("asset_id", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.Text(), server_default="unknown", nullable=False),
        sa.Column("state_ts", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expected_interval_s", sa.Integer(), nullable=True),
        sa.Column("values", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("geom", POINT, nullable=True),
        sa.Column("speed_kmh", sa.Float(), nullable=True),
        sa.Column("heading_deg", sa.Float(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.CheckConstraint("state IN ('ok', 'fault', 'unreachable', 'unknown')", name=op.f("ck_live_state_state")),
        sa.ForeignKeyConstraint(["asset_id"], ["assets.id"], name=op.f("fk_live_state_asset_id_assets"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("asset_id", name=op.f("pk_live_state")),
    )

    op.create_table(
        "live_metrics",
        sa.Column("id", sa.SmallInteger(), autoincrement=True, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_metrics")),
        sa.UniqueConstraint("name", name=op.f("uq_live_metrics_name")),
    )
    op.create_table(
        "telemetry",
        sa.Column("asset_id", sa.BigInteger(), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("metric_id", sa.SmallInteger(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("text_value", sa.Text(), nullable=True),
        postgresql_partition_by="RANGE (ts)",
    )
    op.create_index("ix_telemetry_asset_id_metric_id_ts", "telemetry", ["asset_id", "metric_id", "ts"])
    op.create_table(
        "ingest_keys",
        sa.Column("key", sa.BigInteger(), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", "ts", name=op.f("pk_ingest_keys")),
        postgresql_partition_by="RANGE (ts)",
    )
    op.create_table(
        "ingest_counts",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("client", sa.Text(), nullable=False),
        sa.Column("messages", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("day", "client", name=op.f("pk_ingest_counts")),
    )
    op.create_table(
        "vehicle_positions",
        sa.Column("asset_id", sa.BigInteger(), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("geom", POINT, nullable=False),
        sa.Column("speed_kmh", sa.Float(), nullable=True),
        sa.Column("heading_deg", sa.Float(), nullable=True),
        sa.Column("altitude_m", sa.Float(), nullable=True),
        sa.Column("accuracy_m", sa.Float(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("asset_id", "ts", name=op.f("pk_vehicle_positions")),
        postgresql_partition_by="RANGE (ts)",
    )
    op.create_table(
        "device_events",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("asset_id", sa.BigInteger(), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("detail", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["asset_id"], ["assets.id"], name=op.f("fk_device_events_asset_id_assets"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_events")),
    )
    op.create_index("ix_device_events_asset_id_ts", "device_events", ["asset_id", "ts"])
    op.create_table(
        "dead_letters",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("connector", sa.Text(), nullable=True),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("format", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dead_letters")),
    )
    op.create_index(op.f("ix_dead_letters_received_at"), "dead_letters", ["received_at"], unique=False)
    op.create_table(
        "connector_configs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("config", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connector_configs")),
        sa.UniqueConstraint("name", name=op.f("uq_connector_configs_name")),
    )
    op.create_table(
        "live_retention",
        sa.Column("table_name", sa.Text(), nullable=False),
        sa.Column("part_interval", sa.Text(), server_default="day", nullable=False),
        sa.Column("keep_days", sa.Integer(), nullable=False),
        sa.Column("premake_days", sa.Integer(), server_default="3", nullable=False),
        sa.CheckConstraint("keep_days > 0", name=op.f("ck_live_retention_keep_days")),
        sa.CheckConstraint("part_interval IN ('day', 'month')", name=op.f("ck_live_retention_part_interval")),
        sa.PrimaryKeyConstraint("table_name", name=op.f("pk_live_retention")),
    )
    op.execute(load_sql("0003_live_data.sql"))


def downgrade() -> None:
    op.execute(load_sql("0003_live_data_down.sql"))
    for table in (
        "live_retention", "connector_configs", "dead_letters", "device_events", "vehicle_positions",
        "ingest_counts", "ingest_keys", "telemetry", "live_metrics", "live_state",
    ):
        op.drop_table(table)
