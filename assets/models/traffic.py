"""Traffic signals: one controller per signalised intersection, its signal heads."""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import Boolean, Text
from sqlalchemy.orm import Mapped, mapped_column

from assets.kinds import KindSpec, MapStyle, register
from assets.models.base import Asset


@register
class SignalController(Asset):
    """Contrôleur de carrefour, with bus priority or not."""

    spec: ClassVar[KindSpec] = KindSpec(
        name="signal_controller", family="traffic", label_en="traffic-signal controller",
        label_fr="contrôleur de carrefour",
        complete=("intersection",), code_prefix="CRF",
        references={"fibre_node_id": ("fibre_node",)},
        transport="mqtt", style=MapStyle(radius=(4, 5, 6, 7, 8), outline="#5b2a86", weight=2),
    )
    intersection: Mapped[str | None] = mapped_column(Text)
    bus_priority: Mapped[bool | None] = mapped_column(Boolean)
    __mapper_args__: ClassVar[dict] = {"polymorphic_identity": "signal_controller"}


@register
class SignalHead(Asset):
    """Signal lumineux: a head on one approach of the intersection."""

    spec: ClassVar[KindSpec] = KindSpec(
        name="signal_head", family="traffic", label_en="signal head", label_fr="signal lumineux",
        parent_kinds=("signal_controller",), parent_required=True,
        choices={"head_type": ("vehicle", "pedestrian", "bus", "cycle")},
        choice_words={"head_type": {
            "vehicle": ("véhicule", "feu véhicule", "feu tricolore", "R11"),
            "pedestrian": ("piéton", "feu piéton", "R12"),
            "bus": ("bus", "transport en commun", "R17"),
            "cycle": ("vélo", "cycliste", "feu vélo", "R13"),
        }},
        complete=("head_type",), code_prefix="SIG",
        transport="mqtt", detail_zoom=15, style=MapStyle(radius=(2, 2, 2.5, 3, 3.5), outline="#5b2a86", weight=0.5),
    )
    head_type: Mapped[str | None] = mapped_column(Text)
    approach: Mapped[str | None] = mapped_column(Text)
    __mapper_args__: ClassVar[dict] = {"polymorphic_identity": "signal_head"}
