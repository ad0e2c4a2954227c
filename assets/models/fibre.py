"""The fibre network: nodes (PoP, chamber, splice, switch) joined by segments into a graph."""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import BigInteger, Computed, Float, ForeignKey, Index, SmallInteger, Text
from sqlalchemy.orm import Mapped, mapped_column

from assets.kinds import KindSpec, MapStyle, register
from assets.models.base import Asset


@register
class FibreNode(Asset):
    """Point de présence (NRO), chambre de tirage, boîtier d'épissure or switch."""

    spec: ClassVar[KindSpec] = KindSpec(
        name="fibre_node", family="network", label_en="fibre node", label_fr="nœud fibre",
        complete=("node_type",), code_prefix="FON",
        choices={"node_type": ("pop", "chamber", "splice", "switch")},
        choice_words={"node_type": {
            "pop": ("point de présence", "NRO", "POP"),
            "chamber": ("chambre", "regard", "chambre de tirage"),
            "splice": ("boîte d'épissure", "épissure", "BPE", "boîtier"),
            "switch": ("commutateur", "switch", "baie"),
        }},
        transport="mqtt", detail_zoom=14, style=MapStyle(radius=(2, 2.5, 3, 3.5, 4), outline="#1f5fa8", weight=1),
    )
    node_type: Mapped[str | None] = mapped_column(Text)
    __mapper_args__: ClassVar[dict] = {"polymorphic_identity": "fibre_node"}


@register
class FibreSegment(Asset):
    """Tronçon de fibre optique between two nodes; its length comes from its geometry."""

    spec: ClassVar[KindSpec] = KindSpec(
        name="fibre_segment", family="network", label_en="fibre segment", label_fr="tronçon de fibre",
        geometry_types=("LineString",),
        required=("from_node_id", "to_node_id"), code_prefix="FOS",
        references={"from_node_id": ("fibre_node",), "to_node_id": ("fibre_node",)},
        ranges={"fibre_count": (1, 1728)},
        units={"length_m": "m"}, style=MapStyle(line="#1f77b4", weight=1.5, opacity=0.7),
    )
    from_node_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("assets.id", ondelete="RESTRICT"))
    to_node_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("assets.id", ondelete="RESTRICT"))
    fibre_count: Mapped[int | None] = mapped_column(SmallInteger)
    length_m: Mapped[float | None] = mapped_column(
        Float, Computed("CASE WHEN kind = 'fibre_segment' THEN ST_Length(geom) END", persisted=True)
    )
    __mapper_args__: ClassVar[dict] = {"polymorphic_identity": "fibre_segment"}


Index("ix_assets_from_node_id", FibreSegment.__table__.c.from_node_id)
Index("ix_assets_to_node_id", FibreSegment.__table__.c.to_node_id)
