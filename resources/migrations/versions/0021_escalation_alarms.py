"""Escalation alarms: an order's clock at risk or breached is also an alarm on the order's asset.

Revision ID: 0021_escalation_alarms
Revises: 0020_order_visits
Create Date: 2026-12-07
"""

from alembic import op

revision = "0021_escalation_alarms"
down_revision = "0020_order_visits"
branch_labels = None
depends_on = None

BEFORE = ("lamp_failure", "cabinet_trip", "device_silent", "meter_unreachable", "sensor_threshold",
          "vehicle_outside_zone", "fibre_failure")
AFTER = (*BEFORE, "sla_at_risk", "sla_breached")


def _among(values: tuple[str, ...]) -> str:
    return "type IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade() -> None:
    op.drop_constraint(op.f("ck_alarms_type"), "alarms", type_="check")
    op.create_check_constraint(op.f("ck_alarms_type"), "alarms", _among(AFTER))


def downgrade() -> None:
    op.execute("DELETE FROM alarms WHERE type IN ('sla_at_risk', 'sla_breached')")
    op.drop_constraint(op.f("ck_alarms_type"), "alarms", type_="check")
    op.create_check_constraint(op.f("ck_alarms_type"), "alarms", _among(BEFORE))
