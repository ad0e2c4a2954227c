"""Vehicle visits of work orders: arrival and departure stamped from the crew's vehicle track.

Revision ID: 0020_order_visits
Revises: 0019_recurrences
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_order_visits"
down_revision = "0019_recurrences"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "work_order_visits",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("vehicle_id", sa.BigInteger(), nullable=False),
        sa.Column("crew_id", sa.Integer(), nullable=True),
        sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("departed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("nearest_m", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["work_orders.id"], name=op.f("fk_work_order_visits_order_id_work_orders"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["vehicle_id"], ["assets.id"], name=op.f("fk_work_order_visits_vehicle_id_assets"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["crew_id"], ["crews.id"], name=op.f("fk_work_order_visits_crew_id_crews"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_visits")),
        sa.UniqueConstraint("order_id", "vehicle_id", "arrived_at", name=op.f("uq_work_order_visits_arrival")),
    )


def downgrade() -> None:
    op.drop_table("work_order_visits")
