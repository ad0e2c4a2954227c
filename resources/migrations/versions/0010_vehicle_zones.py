"""Vehicle zones: the communes a vehicle works in (``assets.zone_communes``, INSEE codes).

Empty: the whole metropole, as before. The alarm engine raises "outside its zone" against the
vehicle's own communes when it has some.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("assets", sa.Column("zone_communes", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("assets", "zone_communes")
