"""The demo's generated history: one row per ``citypilot demo history`` run (the window it wrote).

Revision ID: 0022_demo_history
Revises: 0021_availability
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0022_demo_history"
down_revision = "0021_availability"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "demo_history_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("lo", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hi", sa.DateTime(timezone=True), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("counts", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demo_history_runs")),
    )


def downgrade() -> None:
    op.drop_table("demo_history_runs")
