"""A kind that exists only in tests: the retractable bollard (borne escamotable), family traffic.

Importing this module registers it. Everything CityPilot knows about it is here: the model and its
spec, plus :func:`migrate`, the schema change a real kind would ship as a migration ("the migration
aside"). Registering a model cannot be undone in a process (its columns join the shared ``assets``
table), so the tests that use it run in a subprocess (:mod:`tests.assets.extra_kind_probe`).
"""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import Connection, Integer, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from assets.kinds import KindSpec, MapStyle, all_kinds, register
from assets.models.base import Asset
from assets.tiles.kinds_table import sync_tile_kinds


@register
class Bollard(Asset):
    """Borne escamotable: rises to close a street, lowers for buses and emergency vehicles."""

    spec: ClassVar[KindSpec] = KindSpec(
        name="bollard", family="traffic", label_en="retractable bollard", label_fr="borne escamotable",
        parent_kinds=("signal_controller",),
        choices={"bollard_type": ("retractable", "fixed", "removable")},
        choice_words={"bollard_type": {
            "retractable": ("escamotable", "borne escamotable"),
            "fixed": ("fixe",),
            "removable": ("amovible",),
        }},
        ranges={"rise_height_mm": (100, 1200)},
        complete=("bollard_type",), code_prefix="BOR",
        transport="mqtt", report_interval_s=300,
        units={"rise_height_mm": "mm"},
        labels={"bollard_type": ("bollard type", "type de borne"), "rise_height_mm": ("rise height", "hauteur levée")},
        detail_zoom=15,
        style=MapStyle(radius=(2, 2.5, 3, 3.5, 4), outline="#7a4b00", weight=1.5),
    )
    bollard_type: Mapped[str | None] = mapped_column(Text)
    rise_height_mm: Mapped[int | None] = mapped_column(Integer)
    __mapper_args__: ClassVar[dict] = {"polymorphic_identity": "bollard"}


def migrate(conn: Connection) -> None:
    """The bollard's migration: its columns, the kind check widened, tile_kinds from the specs."""
    conn.execute(text("ALTER TABLE assets ADD COLUMN bollard_type text, ADD COLUMN rise_height_mm integer"))
    kinds = ", ".join(f"'{k}'" for k in all_kinds())
    conn.execute(text(f"ALTER TABLE assets DROP CONSTRAINT ck_assets_kind, ADD CONSTRAINT ck_assets_kind "
                      f"CHECK (kind IN ({kinds}))"))
    sync_tile_kinds(conn)
