"""Tables behind the vector tiles (migration 0005): a Web Mercator copy of what tiles show, and
pre-aggregated counts for low zooms.

- ``tile_kinds``: which tile layer (asset family) each kind is drawn in; a kind not listed (vehicles)
  never reaches a tile.
- ``tile_features``: one row per asset a tile may show (not removed, with a geometry), its geometry
  already in EPSG:3857 and a representative point (``x``, ``y``) — kept in step with ``assets`` by
  statement-level triggers, so serving a tile transforms nothing.
- ``tile_cells``: per layer and zoom ``z``, the assets counted in each cell (a tile of zoom
  ``z + CELL_BITS``) by live state, with the sum of their positions (the cluster sits at their mean).
  Rebuilt on demand by :mod:`assets.tiles`; ``tile_refresh`` says when.
"""

from __future__ import annotations

import datetime as dt

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import BigInteger, CheckConstraint, DateTime, Float, Index, Integer, SmallInteger, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from assets.models.base import Base
from gis.crs import WEB_MERCATOR_SRID

#: Tile layers, one per asset family drawn in tiles (vehicles move: the live stream carries them).
TILE_LAYERS = ("lighting", "traffic", "video", "network", "environment", "energy")


class TileKind(Base):
    """The tile layer a kind is drawn in."""

    __tablename__ = "tile_kinds"

    kind: Mapped[str] = mapped_column(Text, primary_key=True)
    layer: Mapped[str] = mapped_column(Text, nullable=False)


class TileFeature(Base):
    """An asset as tiles draw it: geometry in Web Mercator, with what its features carry."""

    __tablename__ = "tile_features"
    __table_args__ = tuple(
        Index(f"ix_tile_features_{layer}", "geom", postgresql_using="gist", postgresql_where=text(f"layer = '{layer}'"))
        for layer in TILE_LAYERS
    )

    asset_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    layer: Mapped[str] = mapped_column(Text, nullable=False)
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    code: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False)
    geom: Mapped[WKBElement] = mapped_column(
        Geometry(geometry_type="GEOMETRY", srid=WEB_MERCATOR_SRID, spatial_index=False), nullable=False
    )
    x: Mapped[float] = mapped_column(Float, nullable=False)
    y: Mapped[float] = mapped_column(Float, nullable=False)


class TileCell(Base):
    """Assets of one layer counted in one cell at one zoom, by live state."""

    __tablename__ = "tile_cells"

    layer: Mapped[str] = mapped_column(Text, primary_key=True)
    z: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    x: Mapped[int] = mapped_column(Integer, primary_key=True)
    y: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False)
    ok: Mapped[int] = mapped_column(Integer, nullable=False)
    fault: Mapped[int] = mapped_column(Integer, nullable=False)
    unreachable: Mapped[int] = mapped_column(Integer, nullable=False)
    unknown: Mapped[int] = mapped_column(Integer, nullable=False)
    sum_x: Mapped[float] = mapped_column(Float, nullable=False)
    sum_y: Mapped[float] = mapped_column(Float, nullable=False)


class TileRefresh(Base):
    """When ``tile_cells`` was last rebuilt (one row)."""

    __tablename__ = "tile_refresh"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    refreshed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    seconds: Mapped[float] = mapped_column(Float, nullable=False)
    features: Mapped[int] = mapped_column(Integer, nullable=False)
    history_id: Mapped[int] = mapped_column(BigInteger, nullable=False)  # audit trail read up to here
