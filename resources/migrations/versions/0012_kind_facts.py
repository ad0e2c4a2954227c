"""Kind facts from the specs: ``tile_kinds`` is filled from ``KindSpec.tile_layer`` (no kind named in SQL).

Revision ID: 0012_kind_facts
Revises: 0011
Create Date: 2026-12-06
"""

from alembic import op

from assets.tiles.kinds_table import sync_tile_kinds

revision = "0012_kind_facts"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    sync_tile_kinds(op.get_bind())


def downgrade() -> None:
    """Nothing to undo: the rows 0005 wrote are the ones the specs give today."""
