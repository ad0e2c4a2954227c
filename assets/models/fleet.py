"""Municipal vehicles: the inventory row is the vehicle and its depot; positions are live data."""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import Text
from sqlalchemy.orm import Mapped, mapped_column

from assets.kinds import KindSpec, register
from assets.models.base import Asset, unique_when_set


@register
class Vehicle(Asset):
    """Véhicule de la flotte municipale; ``geom`` is its depot."""

    spec: ClassVar[KindSpec] = KindSpec(
        name="vehicle", family="fleet", label_en="vehicle", label_fr="véhicule",
        complete=("plate", "vehicle_type"), code_prefix="VEH",
        choices={"vehicle_type": ("car", "van", "truck", "bucket_truck", "sweeper", "utility")},
        choice_words={"vehicle_type": {
            "car": ("voiture", "VL", "véhicule léger"),
            "van": ("fourgon", "fourgonnette", "VUL"),
            "truck": ("camion", "PL", "poids lourd"),
            "bucket_truck": ("nacelle", "camion nacelle", "camion-nacelle"),
            "sweeper": ("balayeuse",),
            "utility": ("utilitaire", "véhicule utilitaire"),
        }},
        unique=("plate", "tracker_id"),
        commune_lists=("zone_communes",),
        transport="gps", tiled=False,
    )
    plate: Mapped[str | None] = mapped_column(Text)
    vehicle_type: Mapped[str | None] = mapped_column(Text)
    tracker_id: Mapped[str | None] = mapped_column(Text)
    #: The communes it works in (INSEE codes, comma-separated; names are accepted on input); empty:
    #: the whole metropole. Outside them (beyond the alarm engine's tolerance), the vehicle is
    #: "outside its zone".
    zone_communes: Mapped[str | None] = mapped_column(Text)
    __mapper_args__: ClassVar[dict] = {"polymorphic_identity": "vehicle"}


unique_when_set(Vehicle.__table__.c.plate, Vehicle.__table__.c.tracker_id)
