"""Public lighting: cabinet → circuit → pole → luminaire (the light point)."""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Integer, SmallInteger, Text
from sqlalchemy.orm import Mapped, mapped_column

from assets.kinds import FaultAlarm, KindSpec, MapStyle, register
from assets.models.base import Asset


@register
class Cabinet(Asset):
    """Armoire de commande: feeds circuits, holds contactors, clock and meter."""

    spec: ClassVar[KindSpec] = KindSpec(
        name="cabinet", family="lighting", label_en="lighting cabinet", label_fr="armoire de commande",
        complete=("contract_power_kva",), code_prefix="ARM",
        references={"energy_meter_id": ("energy_meter",), "fibre_node_id": ("fibre_node",)},
        ranges={"contract_power_kva": (0.1, 500.0)},
        transport="modbus",
        fault_alarm=FaultAlarm("cabinet_trip", ("cabinet_trip", "trip"), ("cabinet_reset", "reset")),
        units={"contract_power_kva": "kVA"}, labels={"contract_power_kva": ("contract power", "puissance souscrite")},
        style=MapStyle(radius=(4, 5, 6, 7, 8), outline="#1d2733", weight=1.5),
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
        detail_zoom=15, style=MapStyle(line="#c9a227", weight=1, opacity=0.55),
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
        units={"height_m": "m"},
        labels={"support_type": ("support type", "type de support"), "height_m": ("height", "hauteur")},
        detail_zoom=16, style=MapStyle(radius=(1, 1, 1.5, 2, 2.5), fixed="#6b7785"),
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
        transport="lorawan", codec="citypilot-lc1", report_interval_s=600,
        fault_alarm=FaultAlarm("lamp_failure", ("lamp_failure",), ("lamp_ok", "lamp_restored")),
        units={"power_w": "W", "power_w_before": "W", "colour_temp_k": "K"},
        labels={"luminaire_type": ("luminaire type", "type de luminaire"), "is_led": ("LED", "LED"),
            "power_w": ("power", "puissance"), "power_w_before": ("power before LED", "puissance avant LED"),
            "colour_temp_k": ("colour temperature", "température de couleur"),
            "dimming_profile": ("dimming profile", "profil de gradation")},
        style=MapStyle(radius=(2, 2.5, 3, 4, 5), outline=None),
    )
    luminaire_type: Mapped[str | None] = mapped_column(Text)
    is_led: Mapped[bool | None] = mapped_column(Boolean)
    power_w: Mapped[float | None] = mapped_column(Float)
    power_w_before: Mapped[float | None] = mapped_column(Float)
    colour_temp_k: Mapped[int | None] = mapped_column(Integer)
    dimming_profile: Mapped[str | None] = mapped_column(Text)
    dev_eui: Mapped[str | None] = mapped_column(Text, use_existing_column=True)
    __mapper_args__: ClassVar[dict] = {"polymorphic_identity": "luminaire"}
