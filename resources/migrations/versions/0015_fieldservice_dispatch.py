"""Field service, dispatch and KPIs: the alarms an order answers, when each clock stopped, the order's
commune, and the indexes dispatch and the month's KPIs read.

- ``work_order_alarms``: every alarm an order answers (one order per cause; a second alarm on an asset
  with an open order is attached, not a new order); an alarm answers at most one order.
- ``work_orders.commune_insee``, ``arrived_at``, ``made_safe_at``, ``done_at``: filled by the order service,
  so KPIs read one table.
- ``ix_live_state_geom``: a partial GiST index on the positions in ``live_state`` (only vehicles have one),
  for the nearest-crew KNN (``<->``); lamps' and meters' rows stay out of it and keep their HOT updates.

Revision ID: 0015_fieldservice_dispatch
Revises: 0013_fieldservice
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_fieldservice_dispatch"
down_revision = "0013_fieldservice"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "work_order_alarms",
        sa.Column("alarm_id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["alarm_id"], ["alarms.id"], name=op.f("fk_work_order_alarms_alarm_id_alarms"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["order_id"], ["work_orders.id"],
                                name=op.f("fk_work_order_alarms_order_id_work_orders"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("alarm_id", name=op.f("pk_work_order_alarms")),
    )
    op.create_index("ix_work_order_alarms_order_id", "work_order_alarms", ["order_id"])
    op.add_column("work_orders", sa.Column("commune_insee", sa.Text(), nullable=True))
    for column in ("arrived_at", "made_safe_at", "done_at"):
        op.add_column("work_orders", sa.Column(column, sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_work_orders_resolution_due", "work_orders", ["resolution_due"])
    op.create_index("ix_work_orders_crew_id", "work_orders", ["crew_id"])
    op.create_index("ix_crews_vehicle_id", "crews", ["vehicle_id"])
    op.create_index("ix_live_state_geom", "live_state", ["geom"], postgresql_using="gist",
                    postgresql_where=sa.text("geom IS NOT NULL"))


def downgrade() -> None:
    op.drop_index("ix_live_state_geom", table_name="live_state")
    op.drop_index("ix_crews_vehicle_id", table_name="crews")
    op.drop_index("ix_work_orders_crew_id", table_name="work_orders")
    op.drop_index("ix_work_orders_resolution_due", table_name="work_orders")
    for column in ("done_at", "made_safe_at", "arrived_at", "commune_insee"):
        op.drop_column("work_orders", column)
    op.drop_index("ix_work_order_alarms_order_id", table_name="work_order_alarms")
    op.drop_table("work_order_alarms")
