"""Public lighting: cabinet → circuit → pole → luminaire (the light point)."""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Integer, SmallInteger, Text
from sqlalchemy.orm import Mapped, mapped_column

from assets.kinds import KindSpec, register
from assets.models.base import Asset


@register
class Cabinet(Asset):
    """Armoire de commande: feeds circuits, holds contactors, clock and meter."""

    spec: ClassVar[KindSpec] = KindSpec(
        name="cabinet", family="lighting", label_en="lighting cabinet", label_fr="armoire de commande",
        complete=("contract_power_kva",), code_prefix="ARM",
        references={"energy_meter_id": ("energy_meter",), "fibre_node_id": ("fibre_node",)},
        ranges={"contract_power_kva": (0.1, 500.0)},
    )
    contract_power_kva: Mapped[float | None] = mapped_column(Float)
    energy_meter_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("assets.id", ondelete="SET NULL"), use_existing_column=True
    )
    __mapper_args__: ClassVar[dict] = {"polymorphic_identity": "cabinet"}


@register
class Circuit(Asset):
    """Départ: one outgoing line of a cabinet; its geometry (the cable route) is optional."""

    spec: ClassVar[KindSpec] = KindSpec(
        name="circuit", family="lighting", label_en="lighting circuit", label_fr="départ (circuit)",
        geometry_types=("LineString", "MultiLineString"), geometry_required=False,
        parent_kinds=("cabinet",), parent_required=True,
        ranges={"circuit_number": (1, 99)},
        complete=("circuit_number",), code_prefix="DEP",
    )
    circuit_number: Mapped[int | None] = mapped_column(SmallInteger)
    __mapper_args__: ClassVar[dict] = {"polymorphic_identity": "circuit"}


@register
class Pole(Asset):
    """Support: mast, candelabra or wall bracket carrying one or more luminaires."""

    spec: ClassVar[KindSpec] = KindSpec(
        name="pole", family="lighting", label_en="pole", label_fr="support",
        parent_kinds=("circuit",),
        choices={"support_type": ("mast", "candelabra", "wall_bracket", "catenary")},
        choice_words={"support_type": {
            "mast": ("mât", "poteau", "mat acier", "mat aluminium"),
            "candelabra": ("candélabre", "candelabre de style"),
            "wall_bracket": ("console", "console murale", "façade", "potence"),
            "catenary": ("caténaire", "câble", "suspension"),
        }},
        ranges={"height_m": (0.5, 40.0)},
        complete=("support_type", "height_m"), code_prefix="SUP",
    )
    support_type: Mapped[str | None] = mapped_column(Text)
    height_m: Mapped[float | None] = mapped_column(Float)
    __mapper_args__: ClassVar[dict] = {"polymorphic_identity": "pole"}


@register
class Luminaire(Asset):
    """The light point: LED or not, its power now and before renovation (the energy baseline)."""

    spec: ClassVar[KindSpec] = KindSpec(
        name="luminaire", family="lighting", label_en="luminaire", label_fr="luminaire",
        complete=("luminaire_type", "is_led", "power_w", "model"), code_prefix="LUM",
        parent_kinds=("pole",),
        choices={"luminaire_type": (
            "lantern", "floodlight", "recessed", "bollard", "street", "wall_mounted", "ambient", "suspended",
        )},
        choice_words={"luminaire_type": {
            "lantern": ("lanterne", "lanterne de style", "lanterne vieux paris"),
            "floodlight": ("projecteur", "proj", "projecteur encastre"),
            "recessed": ("encastré", "encastré de sol", "spot encastré", "hublot"),
            "bollard": ("borne", "borne colonne", "colonne", "borne lumineuse", "potelet lumineux"),
            "street": ("luminaire routier", "routier", "fonctionnel", "lanterne routière"),
            "wall_mounted": ("applique", "applique murale", "luminaire en façade"),
            "ambient": ("luminaire d'ambiance", "ambiance", "décoratif", "boule", "globe"),
            "suspended": ("suspension", "suspendu", "luminaire sur câble"),
        }},
        ranges={"power_w": (1.0, 2000.0), "power_w_before": (1.0, 2000.0), "colour_temp_k": (1000, 10000)},
        unique=("dev_eui",),
    )
    luminaire_type: Mapped[str | None] = mapped_column(Text)
    is_led: Mapped[bool | None] = mapped_column(Boolean)
    power_w: Mapped[float | None] = mapped_column(Float)
    power_w_before: Mapped[float | None] = mapped_column(Float)
    colour_temp_k: Mapped[int | None] = mapped_column(Integer)
    dimming_profile: Mapped[str | None] = mapped_column(Text)
    dev_eui: Mapped[str | None] = mapped_column(Text, use_existing_column=True)
    __mapper_args__: ClassVar[dict] = {"polymorphic_identity": "luminaire"}
