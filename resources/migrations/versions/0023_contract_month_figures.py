"""The contract's closed months' figures, stored with the stamp of the rows they were computed from.

Revision ID: 0023_contract_month_figures
Revises: 0022_demo_history
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0023_contract_month_figures"
down_revision = "0022_demo_history"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contract_month_figures",
        sa.Column("month", sa.Text(), nullable=False),
        sa.Column("figures", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("stamp", sa.Text(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_contract_month_figures")),
    )


def downgrade() -> None:
    op.drop_table("contract_month_figures")
