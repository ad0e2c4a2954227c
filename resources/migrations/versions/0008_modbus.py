"""Modbus polling (control issue): no schema change.

The poller keeps its schedule and failure counts in memory and writes through the live tables of 0003
(``live_state`` with ``expected_interval_s``, ``telemetry``, ``device_events``); register maps are data
files (``resources/registers/*.json``). This revision only keeps the migration chain in order.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
