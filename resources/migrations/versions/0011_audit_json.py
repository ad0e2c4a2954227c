"""The audit trail's JSON built twice as fast (no GeoJSON built and dropped; each side once on updates).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from alembic import op

from resources.migrations.sql import load_sql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(load_sql("0011_audit_json.sql"))


def downgrade() -> None:
    op.execute(load_sql("0011_audit_json_down.sql"))
