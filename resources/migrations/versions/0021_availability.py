"""Availability: the platform's heartbeats, one row per component and minute.

Revision ID: 0021_availability
Revises: 0021_escalation_alarms
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_availability"
down_revision = "0021_escalation_alarms"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "heartbeats",
        sa.Column("component", sa.Text(), nullable=False),
        sa.Column("minute", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.CheckConstraint("component IN ('ingest', 'web', 'broker', 'database')", name=op.f("ck_heartbeats_component")),
        sa.PrimaryKeyConstraint("component", "minute", name=op.f("pk_heartbeats")),
    )


def downgrade() -> None:
    op.drop_table("heartbeats")
