"""Territory: the communes of Dijon Métropole (IGN Admin Express 2018) with the 2019 merge applied.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from alembic import op

from assets.territory import load_communes

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    load_communes(op.get_bind())


def downgrade() -> None:
    op.execute("DELETE FROM commune_parts")
    op.execute("DELETE FROM communes")
