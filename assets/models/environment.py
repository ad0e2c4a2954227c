"""Environmental LoRa sensors: noise, air quality, temperature."""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import Text
from sqlalchemy.orm import Mapped, mapped_column

from assets.kinds import KindSpec, MapStyle, register
from assets.models.base import Asset, unique_when_set


@register
class Sensor(Asset):
    """Capteur environnemental identified on the LoRaWAN network by its DevEUI."""

    spec: ClassVar[KindSpec] = KindSpec(
        name="sensor", family="environment", label_en="environmental sensor",
        label_fr="capteur environnemental",
        required=("dev_eui",), complete=("sensor_type",), code_prefix="CAP",
        choices={"sensor_type": ("noise", "air", "temperature")},
        choice_words={"sensor_type": {
            "noise": ("bruit", "sonomètre", "capteur de bruit"),
            "air": ("qualité de l'air", "air", "pollution"),
            "temperature": ("température", "thermomètre"),
        }},
        unique=("dev_eui",),
        transport="lorawan", report_interval_s=60,
        codec_by={"sensor_type": {"noise": "citypilot-noise", "air": "citypilot-air", "temperature": "citypilot-temp"}},
        style=MapStyle(radius=(3.5, 4, 5, 6, 7), outline="#138a96", weight=2),
    )
    sensor_type: Mapped[str | None] = mapped_column(Text)
    dev_eui: Mapped[str | None] = mapped_column(Text, use_existing_column=True)
    __mapper_args__: ClassVar[dict] = {"polymorphic_identity": "sensor"}


unique_when_set(Sensor.__table__.c.dev_eui)
