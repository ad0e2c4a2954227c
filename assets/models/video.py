"""Video protection cameras, fixed or PTZ, with their field of view."""

from __future__ import annotations

from typing import ClassVar

from geoalchemy2 import WKBElement
from sqlalchemy import Text
from sqlalchemy.orm import Mapped, mapped_column

from assets.kinds import KindSpec, MapStyle, register
from assets.models.base import Asset, geometry_column


@register
class Camera(Asset):
    """Caméra de vidéoprotection; ``fov`` is the polygon it sees (sensitive: not public)."""

    spec: ClassVar[KindSpec] = KindSpec(
        name="camera", family="video", label_en="CCTV camera", label_fr="caméra de vidéoprotection",
        complete=("camera_type",), code_prefix="CAM",
        choices={"camera_type": ("fixed", "ptz")},
        choice_words={"camera_type": {
            "fixed": ("fixe", "caméra fixe"),
            "ptz": ("dôme", "mobile", "motorisée", "tourelle", "caméra dôme"),
        }},
        references={"fibre_node_id": ("fibre_node",)},
        transport="mqtt", style=MapStyle(radius=(3, 3.5, 4.5, 5.5, 6), outline="#0b5cad", weight=1.5),
    )
    camera_type: Mapped[str | None] = mapped_column(Text)
    fov: Mapped[WKBElement | None] = geometry_column("POLYGON")
    __mapper_args__: ClassVar[dict] = {"polymorphic_identity": "camera"}
