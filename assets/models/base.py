"""Declarative base and the common core every asset kind shares (single-table inheritance)."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from assets.kinds import KindSpec
from gis.crs import STORAGE_SRID

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

INVENTORY_STATUSES = ("planned", "in_service", "out_of_service", "removed")


class Base(DeclarativeBase):
    """Declarative base with a stable constraint naming convention for migrations."""

    metadata = MetaData(naming_convention=NAMING)


def utcnow_column(**kw: Any) -> Mapped[dt.datetime]:
    """A ``timestamptz`` column defaulting to the database's now() (stored in UTC)."""
    return mapped_column(DateTime(timezone=True), server_default=func.now(), **kw)


def geometry_column(geometry_type: str = "GEOMETRY", nullable: bool = True) -> Mapped[WKBElement | None]:
    """A Lambert-93 geometry column; its index is created by the migration."""
    return mapped_column(
        Geometry(geometry_type=geometry_type, srid=STORAGE_SRID, spatial_index=False), nullable=nullable
    )


class Asset(Base):
    """What every piece of equipment has: identity, inventory status, place, provenance, version.

    The inventory status is what planners decide; the live state (what the device says) lives in
    the live-data tables. Kind-specific attributes are typed columns declared by the subclasses.
    """

    __tablename__ = "assets"
    __table_args__ = (
        UniqueConstraint("kind", "code", name="uq_assets_kind_code"),
        CheckConstraint(
            "status IN ('planned', 'in_service', 'out_of_service', 'removed')", name="status"
        ),
        CheckConstraint("length(btrim(code)) > 0", name="code_not_blank"),
        Index("ix_assets_geom", "geom", postgresql_using="gist"),
        # Open data pages (ORDER BY id within a kind) and their counts: index-only scans of one kind.
        Index("ix_assets_kind_id_in_place", "kind", "id", postgresql_where=text("status <> 'removed'")),
    )

    spec: ClassVar[KindSpec]

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(Text, nullable=False, index=True)
    code: Mapped[str] = mapped_column(Text, nullable=False)
    name: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default="in_service")
    geom: Mapped[WKBElement | None] = geometry_column()
    commune_insee: Mapped[str | None] = mapped_column(Text, index=True)
    install_date: Mapped[dt.date | None] = mapped_column(Date)
    manufacturer: Mapped[str | None] = mapped_column(Text)
    model: Mapped[str | None] = mapped_column(Text)
    attrs: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default="{}")
    parent_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("assets.id", ondelete="RESTRICT"), index=True
    )
    fibre_node_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("assets.id", ondelete="RESTRICT"), index=True
    )
    created_at: Mapped[dt.datetime] = utcnow_column(nullable=False)
    created_by: Mapped[int | None] = mapped_column(Integer, ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = utcnow_column(nullable=False)
    updated_by: Mapped[int | None] = mapped_column(Integer, ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")

    __mapper_args__: ClassVar[dict[str, Any]] = {
        "polymorphic_on": "kind",
        "version_id_col": version,
        "version_id_generator": False,  # the database trigger increments it on every update
    }

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id} {self.code!r}>"


def unique_when_set(*columns: Column[Any]) -> None:
    """Index each kind-specific column uniquely where it is not null (DevEUI, plate, tracker id)."""
    for column in columns:
        Index(
            f"uq_assets_{column.name}", column, unique=True,
            postgresql_where=text(f"{column.name} IS NOT NULL"),
        )
