"""Preventive maintenance plans (RFC 5545 recurrences) and the escalation of orders at risk.

- ``maintenance_plans``: what to do (category, priority, a selection of assets: ids, or a kind in a
  commune), how often (an RRULE from ``dtstart``, Europe/Paris wall time), how long after each occurrence it
  is due, and how far ahead orders are made (``horizon_days``); one order per plan, per commune or per asset.
- ``maintenance_occurrences``: one row per occurrence and scope made into an order, so generating again
  makes nothing twice (its primary key).
- ``work_order_escalations``: one row per order, clock and level (at risk, then breached): escalations and
  breaches are recorded once.
- ``sla_policies.escalate_before_min``: how long before a due time an open order is escalated.

Revision ID: 0019_recurrences
Revises: 0017_order_work
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_recurrences"
down_revision = "0017_order_work"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "maintenance_plans",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("priority", sa.Text(), server_default="low", nullable=False),
        sa.Column("rrule", sa.Text(), nullable=False),
        sa.Column("dtstart", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_after_min", sa.Integer(), server_default="1440", nullable=False),
        sa.Column("horizon_days", sa.Integer(), server_default="31", nullable=False),
        sa.Column("asset_kind", sa.Text(), nullable=True),
        sa.Column("commune_insee", sa.Text(), nullable=True),
        sa.Column("asset_ids", sa.ARRAY(sa.BigInteger()), server_default="{}", nullable=False),
        sa.Column("split", sa.Text(), server_default="plan", nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("priority IN ('urgent', 'high', 'normal', 'low')", name=op.f("ck_maintenance_plans_priority")),
        sa.CheckConstraint("split IN ('plan', 'commune', 'asset')", name=op.f("ck_maintenance_plans_split")),
        sa.CheckConstraint("due_after_min > 0", name=op.f("ck_maintenance_plans_due_after")),
        sa.CheckConstraint("horizon_days BETWEEN 0 AND 366", name=op.f("ck_maintenance_plans_horizon")),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_maintenance_plans_created_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_plans")),
        sa.UniqueConstraint("name", name=op.f("uq_maintenance_plans_name")),
    )
    op.create_table(
        "maintenance_occurrences",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("occurs_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=True),
        sa.Column("generated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["maintenance_plans.id"],
                                name=op.f("fk_maintenance_occurrences_plan_id_maintenance_plans"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["order_id"], ["work_orders.id"],
                                name=op.f("fk_maintenance_occurrences_order_id_work_orders"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("plan_id", "occurs_at", "scope", name=op.f("pk_maintenance_occurrences")),
    )
    op.create_index("ix_maintenance_occurrences_order_id", "maintenance_occurrences", ["order_id"])
    op.create_table(
        "work_order_escalations",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("clock", sa.Text(), nullable=False),
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("due", sa.DateTime(timezone=True), nullable=False),
        sa.Column("remaining_min", sa.Float(), nullable=False),
        sa.Column("crew_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("clock IN ('response', 'make_safe', 'resolution')", name=op.f("ck_work_order_escalations_clock")),
        sa.CheckConstraint("level IN ('at_risk', 'breached')", name=op.f("ck_work_order_escalations_level")),
        sa.ForeignKeyConstraint(["order_id"], ["work_orders.id"],
                                name=op.f("fk_work_order_escalations_order_id_work_orders"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["crew_id"], ["crews.id"], name=op.f("fk_work_order_escalations_crew_id_crews"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_escalations")),
        sa.UniqueConstraint("order_id", "clock", "level", name=op.f("uq_work_order_escalations_order_id_clock_level")),
    )
    op.create_index("ix_work_order_escalations_at", "work_order_escalations", ["at"])
    op.add_column("sla_policies", sa.Column("escalate_before_min", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("sla_policies", "escalate_before_min")
    op.drop_index("ix_work_order_escalations_at", table_name="work_order_escalations")
    op.drop_table("work_order_escalations")
    op.drop_index("ix_maintenance_occurrences_order_id", table_name="maintenance_occurrences")
    op.drop_table("maintenance_occurrences")
    op.drop_table("maintenance_plans")
