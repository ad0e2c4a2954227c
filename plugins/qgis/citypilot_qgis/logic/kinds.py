"""The kind spec (``GET /api/v1/kinds``) as the plugin uses it: families, labels, value maps, constraints."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

#: Family names as the plugin's layer groups show them.
FAMILY_LABELS = {
    "lighting": {"en": "Street lighting", "fr": "Éclairage public"},
    "traffic": {"en": "Traffic signals", "fr": "Signalisation lumineuse"},
    "video": {"en": "Video", "fr": "Vidéoprotection"},
    "fleet": {"en": "Fleet", "fr": "Flotte"},
    "network": {"en": "Fibre network", "fr": "Réseau fibre"},
    "environment": {"en": "Environment", "fr": "Environnement"},
    "energy": {"en": "Energy", "fr": "Énergie"},
}


#: Scale of web-map zoom 0 at the equator (256 px tiles, 0.28 mm pixels): zoom z is this / 2**z.
WEB_MERCATOR_Z0_SCALE = 559_082_264


@dataclass(frozen=True)
class Attribute:
    name: str
    type: str
    labels: Mapping[str, str]
    required: bool
    choices: tuple[tuple[str, Mapping[str, str]], ...]  # (value, {"en": ..., "fr": ...})
    unit: str | None = None

    def label(self, language: str) -> str:
        text = self.labels.get(language) or self.labels.get("en") or self.name
        return f"{text} ({self.unit})" if self.unit else text

    def value_map(self, language: str) -> list[tuple[str, str]]:
        """``[(label, value)]`` in the spec's order: QGIS's ValueMap widget config."""
        return [(labels.get(language) or value, value) for value, labels in self.choices]


@dataclass(frozen=True)
class Kind:
    name: str
    family: str
    labels: Mapping[str, str]
    geometry_types: tuple[str, ...]
    style: Mapping[str, Any]
    attributes: tuple[Attribute, ...]
    editable: tuple[str, ...]
    min_zoom: int | None = None

    @property
    def min_scale(self) -> float | None:
        """The map scale (1:N) below which QGIS draws the kind: the web map's ``min_zoom``, as QGIS counts it."""
        return None if self.min_zoom is None else round(WEB_MERCATOR_Z0_SCALE / 2 ** self.min_zoom)

    def label(self, language: str) -> str:
        return self.labels.get(language) or self.labels.get("en") or self.name

    @property
    def geometry(self) -> str:
        """``point``, ``line`` or ``polygon``: the kind's main geometry (QGIS wants one per layer)."""
        first = self.geometry_types[0] if self.geometry_types else "Point"
        if self.style.get("area") or "Polygon" in first:
            return "polygon"
        return "line" if "LineString" in first else "point"

    def attribute(self, name: str) -> Attribute | None:
        return next((a for a in self.attributes if a.name == name), None)


def parse_kinds(items: Iterable[Mapping[str, Any]]) -> list[Kind]:
    """The API's kind items → :class:`Kind` (unknown keys ignored, so newer servers still load)."""
    kinds = []
    for item in items:
        attributes = tuple(
            Attribute(
                name=a["name"], type=a.get("type", "text"), labels=dict(a.get("labels") or {}),
                required=bool(a.get("required")), unit=a.get("unit"),
                choices=tuple(_choice(c) for c in a.get("choices") or []),
            )
            for a in item.get("attributes") or []
        )
        kinds.append(Kind(
            name=item["name"], family=item.get("family") or "other", labels=dict(item.get("labels") or {}),
            geometry_types=tuple(item.get("geometry_types") or ()), style=dict(item.get("style") or {}),
            attributes=attributes, editable=tuple(item.get("fields") or (a.name for a in attributes)),
            min_zoom=item.get("min_zoom"),
        ))
    return kinds


def _choice(choice: Mapping[str, Any]) -> tuple[str, Mapping[str, str]]:
    value = str(choice["value"])
    return value, {"en": choice.get("label_en") or value, "fr": choice.get("label_fr") or value}


def family_label(family: str, language: str) -> str:
    return FAMILY_LABELS.get(family, {}).get(language, family)


def by_family(kinds: Iterable[Kind]) -> dict[str, list[Kind]]:
    """Kinds grouped by family, in the spec's order."""
    groups: dict[str, list[Kind]] = {}
    for kind in kinds:
        groups.setdefault(kind.family, []).append(kind)
    return groups
