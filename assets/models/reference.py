"""Reference layers: the communes (current and historical) and the street network."""

from __future__ import annotations

import datetime as dt

from geoalchemy2 import WKBElement
from sqlalchemy import Date, Index, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from assets.models.base import Base, geometry_column


class Commune(Base):
    """A commune of the metropole over a period; ``valid_to`` is None for today's communes."""

    __tablename__ = "communes"
    __table_args__ = (Index("ix_communes_geom", "geom", postgresql_using="gist"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    insee: Mapped[str] = mapped_column(Text, nullable=False, index=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    merged_into: Mapped[str | None] = mapped_column(Text)
    geom: Mapped[WKBElement | None] = geometry_column("MULTIPOLYGON", nullable=False)


class CommunePart(Base):
    """A small piece of a current commune (ST_Subdivide) so "which commune is this in" stays fast."""

    __tablename__ = "commune_parts"
    __table_args__ = (Index("ix_commune_parts_geom", "geom", postgresql_using="gist"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    insee: Mapped[str] = mapped_column(Text, nullable=False)
    geom: Mapped[WKBElement | None] = geometry_column("POLYGON", nullable=False)


class Street(Base):
    """A street of the (generated or imported) street network, the layer lamps stand along."""

    __tablename__ = "streets"
    __table_args__ = (Index("ix_streets_geom", "geom", postgresql_using="gist"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str | None] = mapped_column(Text)
    street_class: Mapped[str | None] = mapped_column(Text)
    commune_insee: Mapped[str | None] = mapped_column(Text)
    geom: Mapped[WKBElement | None] = geometry_column("LINESTRING", nullable=False)
