"""What distinguishes one asset kind from another: geometry, attributes, parents, labels, words.

Each model subclass declares its ``spec``; :func:`register` files it under its kind name, which is
the name used by the CLI, the API, imports and exports.

Two levels of "needed": ``required`` is what an asset cannot exist without (its structural
references, the identity a device is reached by); ``complete`` is what a complete record has (power,
LED flag, model...). A missing ``complete`` attribute never rejects an asset: it is listed as
incomplete (:mod:`assets.quality`).

Every other fact of a kind lives here too, so that nothing else names kinds: whether and how its
devices talk (``transport``, ``codec``), how often they report (``report_interval_s``), its own alarms,
its attributes' units and labels, its tile layer (its ``family``) and how the map draws it (``style``).
:mod:`assets.kinds_catalogue` describes all of it to clients (``GET /api/v1/kinds``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gis.names import fold

if TYPE_CHECKING:
    from assets.models.base import Asset


@dataclass(frozen=True)
class MapStyle:
    """How a map draws an asset of a kind (the control room's canvas; served to every client as data).

    A point's fill is its live state; ``radius`` is by zoom step (z ≤ 12, ≤ 14, 15, ≤ 17, beyond).
    ``fixed``: a fill colour that ignores the live state (passive supports); ``line``: drawn as a
    line of that colour (cables); ``area``: a surface outlined in ``outline`` (buildings)."""

    radius: tuple[float, ...] = (3, 3, 4, 5, 6)
    outline: str | None = "#333333"
    weight: float = 1.0
    fixed: str | None = None
    line: str | None = None
    opacity: float | None = None
    area: bool = False

    def as_json(self) -> dict[str, object]:
        """The style as the clients read it (lists, no Python types)."""
        return {"radius": list(self.radius), "outline": self.outline, "weight": self.weight, "fixed": self.fixed,
                "line": self.line, "opacity": self.opacity, "area": self.area}


@dataclass(frozen=True)
class FaultAlarm:
    """A kind's own alarm: raised by live state ``fault`` (or a ``tripped`` value) or one of
    ``raise_events``; cleared by live state ``ok`` or one of ``clear_events``."""

    type: str
    raise_events: tuple[str, ...] = ()
    clear_events: tuple[str, ...] = ()


@dataclass(frozen=True)
class KindSpec:
    """The rules of one asset kind."""

    name: str
    family: str
    label_en: str
    label_fr: str
    geometry_types: tuple[str, ...] = ("Point",)
    geometry_required: bool = True
    required: tuple[str, ...] = ()
    parent_kinds: tuple[str, ...] = ()
    parent_required: bool = False
    references: dict[str, tuple[str, ...]] = field(default_factory=dict)
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    unique: tuple[str, ...] = ()
    commune_lists: tuple[str, ...] = ()  # text fields holding INSEE codes of today's communes, comma-separated
    #: What a complete record has; a missing one marks the asset incomplete, never rejects it.
    complete: tuple[str, ...] = ()
    #: field -> choice -> the French words a survey uses for it, the French label first.
    choice_words: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    #: Codes made for rows that have none: ``{prefix}-{n:06d}`` (see :func:`code_template`).
    code_prefix: str = ""
    #: How its devices reach CityPilot: "lorawan", "modbus", "mqtt" (CityPilot messages named by code) or
    #: "gps" (trackers); None: a passive kind (a pole, a cable) with no device, left out of the device
    #: directory, of live counts and of clusters. The command worker reads it to choose a transport.
    transport: str | None = None
    #: The codec of every binary payload of the kind (a luminaire's lamp controller), if one.
    codec: str | None = None
    #: field -> value -> codec: a codec chosen by an attribute (a sensor's type). Neither: the ``model``.
    codec_by: dict[str, dict[str, str]] = field(default_factory=dict)
    #: Seconds between two reports of a device when its live state says nothing; None: never judged silent.
    report_interval_s: int | None = None
    #: The kind's own alarm (lamp failure, cabinet trip), if one.
    fault_alarm: FaultAlarm | None = None
    #: The alarm raised when a device of the kind is ``unreachable``.
    unreachable_alarm: str = "device_silent"
    #: attribute -> unit symbol (SI or usual: "W", "m", "kVA", "K").
    units: dict[str, str] = field(default_factory=dict)
    #: attribute -> (English label, French label); unlisted attributes read as their name.
    labels: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: How a map draws it.
    style: MapStyle = field(default_factory=MapStyle)
    #: Drawn in vector tiles (in the layer of its family); False: it moves (vehicles: the live stream).
    tiled: bool = True
    #: The zoom from which its features are drawn; None: its layer's detail zoom.
    detail_zoom: int | None = None

    @property
    def passive(self) -> bool:
        """True when no device of the kind talks (no ``transport``)."""
        return self.transport is None

    @property
    def tile_layer(self) -> str | None:
        """The tile layer it is drawn in: its family's, or None when not tiled."""
        return self.family if self.tiled else None

    def label(self, attribute: str, lang: str = "en") -> str:
        """How ``attribute`` reads in ``lang`` ('en' or 'fr'), its unit aside."""
        pair = self.labels.get(attribute)
        if pair:
            return pair[1] if lang == "fr" else pair[0]
        return attribute.replace("_", " ")

    def codec_of(self, record: dict) -> str | None:
        """The codec of the payloads of the device ``record`` (its ``model`` when the kind says none)."""
        for name, codecs in self.codec_by.items():
            value = record.get(name)
            if value in codecs:
                return codecs[value]
        return self.codec or record.get("model")

    def choice_label(self, field_name: str, value: str, lang: str = "en") -> str:
        """How ``value`` of choice field ``field_name`` reads in ``lang`` ('en' or 'fr')."""
        words = self.choice_words.get(field_name, {}).get(value)
        if lang == "fr" and words:
            return words[0]
        return value.replace("_", " ")

    def read_choice(self, field_name: str, text: str) -> str | None:
        """The choice of ``field_name`` that ``text`` names (the value, its English or French words,
        case, accents, punctuation and filler words such as "luminaire", "type", "de" ignored), or None."""
        return _choice_index(self).get(field_name, {}).get(choice_key(text))

    def missing(self, record: dict) -> list[str]:
        """The ``complete`` attributes ``record`` lacks, in declaration order."""
        return [f for f in self.complete if record.get(f) is None]

    @property
    def code_template(self) -> str:
        """The default pattern of generated codes of the kind, e.g. ``LUM-{n:06d}``."""
        prefix = self.code_prefix or self.name.upper()[:3]
        return prefix + "-{n:06d}"


#: Words a survey puts around a choice that say nothing about it.
_FILLER = frozenset({"luminaire", "luminaires", "type", "de", "d", "du", "des", "la", "le", "l", "en", "a"})


def choice_key(text: str) -> str:
    """``text`` folded for matching a choice: lower case, no accents, no punctuation, no filler words."""
    words = re.split(r"[^a-z0-9]+", fold(text))
    kept = [w for w in words if w and w not in _FILLER]
    return " ".join(kept) or " ".join(w for w in words if w)


_CHOICE_INDEXES: dict[str, dict[str, dict[str, str]]] = {}


def _choice_index(spec: KindSpec) -> dict[str, dict[str, str]]:
    """field -> matching key -> choice, for every word of every choice of ``spec``."""
    index = _CHOICE_INDEXES.get(spec.name)
    if index is None:
        index = {}
        for name, values in spec.choices.items():
            keys: dict[str, str] = {}
            for value in values:
                words = (value, value.replace("_", " "), *spec.choice_words.get(name, {}).get(value, ()))
                for word in words:
                    keys.setdefault(choice_key(word), value)
            index[name] = keys
        _CHOICE_INDEXES[spec.name] = index
    return index


_REGISTRY: dict[str, type[Asset]] = {}


def register(model: type[Asset]) -> type[Asset]:
    """Class decorator: make ``model`` reachable by its kind name."""
    _REGISTRY[model.spec.name] = model
    return model


def model_for(kind: str) -> type[Asset]:
    """The model class of ``kind``; raises a clear error naming the known kinds."""
    from assets.errors import FieldError, ValidationError

    _load()
    try:
        return _REGISTRY[kind]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise ValidationError(FieldError("kind", f"unknown kind {kind!r} (known: {known})")) from None


def spec_for(kind: str) -> KindSpec:
    """The rules of ``kind``."""
    return model_for(kind).spec


def kind_attributes(kind: str) -> list[str]:
    """The typed attribute names ``kind`` adds to the common core, in declaration order."""
    from assets.models.base import Asset

    core = set(Asset.__mapper__.column_attrs.keys())
    return [key for key in model_for(kind).__mapper__.column_attrs.keys() if key not in core]


def all_kinds() -> list[str]:
    """Every registered kind name, in a stable order."""
    _load()
    return list(_REGISTRY)


def _load() -> None:
    import assets.models  # noqa: F401  (registers every kind)


def all_specs() -> list[KindSpec]:
    """The spec of every registered kind, in the kinds' canonical order."""
    return [spec_for(kind) for kind in all_kinds()]


def passive_kinds() -> tuple[str, ...]:
    """The kinds no device of which talks (poles, circuits, cables)."""
    return tuple(spec.name for spec in all_specs() if spec.passive)
