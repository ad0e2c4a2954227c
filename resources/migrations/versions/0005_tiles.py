"""Vector tiles: a Web Mercator copy of what tiles draw, kept by triggers; low-zoom aggregates.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

from resources.migrations.sql import load_sql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

LAYERS = ("lighting", "traffic", "video", "network", "environment", "energy")


def upgrade() -> None:
    op.create_table(
        "tile_kinds",
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("layer", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("kind", name=op.f("pk_tile_kinds")),
    )
    op.create_table(
        "tile_features",
        sa.Column("asset_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("layer", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("geom", Geometry(geometry_type="GEOMETRY", srid=3857, spatial_index=False), nullable=False),
        sa.Column("x", sa.Float(), nullable=False),
        sa.Column("y", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("asset_id", name=op.f("pk_tile_features")),
    )
    for layer in LAYERS:
        op.create_index(
            f"ix_tile_features_{layer}", "tile_features", ["geom"], postgresql_using="gist",
            postgresql_where=sa.text(f"layer = '{layer}'"),
        )
    op.create_table(
        "tile_cells",
        sa.Column("layer", sa.Text(), nullable=False),
        sa.Column("z", sa.SmallInteger(), nullable=False),
        sa.Column("x", sa.Integer(), nullable=False),
        sa.Column("y", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("ok", sa.Integer(), nullable=False),
        sa.Column("fault", sa.Integer(), nullable=False),
        sa.Column("unreachable", sa.Integer(), nullable=False),
        sa.Column("unknown", sa.Integer(), nullable=False),
        sa.Column("sum_x", sa.Float(), nullable=False),
        sa.Column("sum_y", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("layer", "z", "x", "y", name=op.f("pk_tile_cells")),
    )
    op.create_table(
        "tile_refresh",
        sa.Column("id", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("features", sa.Integer(), nullable=False),
        sa.Column("history_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_tile_refresh_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tile_refresh")),
    )
    op.execute(load_sql("0005_tiles.sql"))


def downgrade() -> None:
    op.execute(load_sql("0005_tiles_down.sql"))
    for table in ("tile_refresh", "tile_cells", "tile_features", "tile_kinds"):
        op.drop_table(table)
