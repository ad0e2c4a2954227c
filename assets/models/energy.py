"""Energy meters read over Modbus, and the connected public buildings they meter."""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import BigInteger, Float, ForeignKey, Integer, SmallInteger, Text
from sqlalchemy.orm import Mapped, mapped_column

from assets.kinds import KindSpec, MapStyle, register
from assets.models.base import Asset


@register
class EnergyMeter(Asset):
    """Compteur d'énergie: a Modbus unit with a known register map."""

    spec: ClassVar[KindSpec] = KindSpec(
        name="energy_meter", family="energy", label_en="energy meter", label_fr="compteur d'énergie",
        required=("unit_id", "meter_model"), code_prefix="CPT",
        choices={"meter_model": ("sdm120", "sdm630", "iem3000")},
        ranges={"unit_id": (1, 247), "modbus_port": (1, 65535)},
        transport="modbus", report_interval_s=900, unreachable_alarm="meter_unreachable",
        style=MapStyle(radius=(2.5, 3, 3.5, 4, 5), outline="#8c564b", weight=1),
    )
    unit_id: Mapped[int | None] = mapped_column(SmallInteger)
    meter_model: Mapped[str | None] = mapped_column(Text)
    register_map: Mapped[str | None] = mapped_column(Text)
    modbus_host: Mapped[str | None] = mapped_column(Text)
    modbus_port: Mapped[int | None] = mapped_column(Integer)
    __mapper_args__: ClassVar[dict] = {"polymorphic_identity": "energy_meter"}


@register
class Building(Asset):
    """Bâtiment public connecté to the control room through its energy meter."""

    spec: ClassVar[KindSpec] = KindSpec(
        name="building", family="energy", label_en="connected public building",
        label_fr="bâtiment public connecté",
        geometry_types=("Point", "Polygon", "MultiPolygon"),
        choices={"building_use": ("town_hall", "school", "sports", "culture", "offices", "technical", "other")},
        choice_words={"building_use": {
            "town_hall": ("mairie", "hôtel de ville"),
            "school": ("école", "groupe scolaire", "collège", "lycée", "crèche"),
            "sports": ("équipement sportif", "gymnase", "piscine", "stade"),
            "culture": ("équipement culturel", "bibliothèque", "médiathèque", "musée", "théâtre"),
            "offices": ("bureaux", "administration", "services"),
            "technical": ("local technique", "atelier", "centre technique"),
            "other": ("autre", "divers"),
        }},
        complete=("building_use",), code_prefix="BAT",
        references={"energy_meter_id": ("energy_meter",), "fibre_node_id": ("fibre_node",)},
        ranges={"floor_area_m2": (1.0, 1_000_000.0)},
        transport="mqtt", units={"floor_area_m2": "m²"},
        style=MapStyle(radius=(4, 5, 6, 7, 8), outline="#8c564b", weight=1.5, area=True),
    )
    building_use: Mapped[str | None] = mapped_column(Text)
    floor_area_m2: Mapped[float | None] = mapped_column(Float)
    energy_meter_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("assets.id", ondelete="SET NULL"), use_existing_column=True
    )
    __mapper_args__: ClassVar[dict] = {"polymorphic_identity": "building"}
