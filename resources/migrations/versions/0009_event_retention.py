"""Retention for the device events and the dead letters (not partitioned: deleted by age).

``live_retention`` gains rows with ``part_interval = 'none'``: the table is not partitioned and
``citypilot maintenance prune`` (and the ingest, hourly) deletes its rows received more than
``keep_days`` ago. Device events: 400 days, like the telemetry they explain; dead letters: 30 days
(long enough to fix a decoder and replay, short enough that a babbling device does not fill the disk).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint(op.f("ck_live_retention_part_interval"), "live_retention", type_="check")
    op.create_check_constraint(op.f("ck_live_retention_part_interval"), "live_retention",
                               "part_interval IN ('day', 'month', 'none')")
    op.execute("INSERT INTO live_retention (table_name, part_interval, keep_days, premake_days) VALUES "
               "('device_events', 'none', 400, 0), ('dead_letters', 'none', 30, 0)")
    op.create_index("ix_device_events_received_at", "device_events", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_device_events_received_at", "device_events")
    op.execute("DELETE FROM live_retention WHERE part_interval = 'none'")
    op.drop_constraint(op.f("ck_live_retention_part_interval"), "live_retention", type_="check")
    op.create_check_constraint(op.f("ck_live_retention_part_interval"), "live_retention", "part_interval IN ('day', 'month')")
