"""Alarms and rules: alarms, what a cause affects, their history, sensor thresholds, the engine's cursor.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from resources.migrations.sql import load_sql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TYPES = "'lamp_failure', 'cabinet_trip', 'device_silent', 'meter_unreachable', 'sensor_threshold', 'vehicle_outside_zone', 'fibre_failure'"
SEVERITIES = "'critical', 'major', 'minor', 'warning'"
JSONB = postgresql.JSONB(astext_type=sa.Text())


def upgrade() -> None:
    op.create_table(
        "alarms",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("asset_id", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("severity", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), server_default="open", nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("detail", JSONB, server_default="{}", nullable=False),
        sa.Column("fact_ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.Integer(), nullable=True),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cleared_by", sa.Integer(), nullable=True),
        sa.Column("cleared_fact_ts", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cause_id", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(f"type IN ({TYPES})", name=op.f("ck_alarms_type")),
        sa.CheckConstraint(f"severity IN ({SEVERITIES})", name=op.f("ck_alarms_severity")),
        sa.CheckConstraint("state IN ('open', 'acknowledged', 'cleared')", name=op.f("ck_alarms_state")),
        sa.ForeignKeyConstraint(["asset_id"], ["assets.id"], name=op.f("fk_alarms_asset_id_assets"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["acknowledged_by"], ["users.id"], name=op.f("fk_alarms_acknowledged_by_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["cleared_by"], ["users.id"], name=op.f("fk_alarms_cleared_by_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["cause_id"], ["alarms.id"], name=op.f("fk_alarms_cause_id_alarms"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alarms")),
    )
    op.create_index("uq_alarms_active_asset_type", "alarms", ["asset_id", "type"], unique=True,
                    postgresql_where=sa.text("state <> 'cleared'"))
    op.create_index("ix_alarms_asset_id_type_id", "alarms", ["asset_id", "type", "id"])
    op.create_index("ix_alarms_cause_id", "alarms", ["cause_id"])
    op.create_index("ix_alarms_active_raised_at", "alarms", ["raised_at"], postgresql_where=sa.text("state <> 'cleared'"))

    op.create_table(
        "alarm_affected",
        sa.Column("alarm_id", sa.BigInteger(), nullable=False),
        sa.Column("asset_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["alarm_id"], ["alarms.id"], name=op.f("fk_alarm_affected_alarm_id_alarms"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["asset_id"], ["assets.id"], name=op.f("fk_alarm_affected_asset_id_assets"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("alarm_id", "asset_id", name=op.f("pk_alarm_affected")),
    )
    op.create_index("ix_alarm_affected_asset_id", "alarm_affected", ["asset_id"])

    op.create_table(
        "alarm_history",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("alarm_id", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("detail", JSONB, server_default="{}", nullable=False),
        sa.CheckConstraint("action IN ('raised', 'grouped', 'ungrouped', 'acknowledged', 'cleared')",
                           name=op.f("ck_alarm_history_action")),
        sa.ForeignKeyConstraint(["alarm_id"], ["alarms.id"], name=op.f("fk_alarm_history_alarm_id_alarms"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_alarm_history_actor_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alarm_history")),
    )
    op.create_index("ix_alarm_history_alarm_id_id", "alarm_history", ["alarm_id", "id"])

    op.create_table(
        "alarm_thresholds",
        sa.Column("sensor_type", sa.Text(), nullable=False),
        sa.Column("metric", sa.Text(), nullable=False),
        sa.Column("above", sa.Float(), nullable=True),
        sa.Column("below", sa.Float(), nullable=True),
        sa.Column("hysteresis", sa.Float(), server_default="0", nullable=False),
        sa.Column("window_s", sa.Integer(), server_default="0", nullable=False),
        sa.Column("severity", sa.Text(), server_default="warning", nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("above IS NOT NULL OR below IS NOT NULL", name=op.f("ck_alarm_thresholds_a_limit")),
        sa.CheckConstraint("hysteresis >= 0", name=op.f("ck_alarm_thresholds_hysteresis")),
        sa.CheckConstraint("window_s >= 0", name=op.f("ck_alarm_thresholds_window_s")),
        sa.CheckConstraint(f"severity IN ({SEVERITIES})", name=op.f("ck_alarm_thresholds_severity")),
        sa.PrimaryKeyConstraint("sensor_type", "metric", name=op.f("pk_alarm_thresholds")),
    )
    op.create_table(
        "alarm_cursors",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("event_id", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_alarm_cursors")),
    )
    op.execute(load_sql("0006_alarm_thresholds.sql"))


def downgrade() -> None:
    for table in ("alarm_cursors", "alarm_thresholds", "alarm_history", "alarm_affected", "alarms"):
        op.drop_table(table)
