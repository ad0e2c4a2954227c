"""What distinguishes one asset kind from another: geometry, attributes, parents, labels, words.

Each model subclass declares its ``spec``; :func:`register` files it under its kind name, which is
the name used by the CLI, the API, imports and exports.

Two levels of "needed": ``required`` is what an asset cannot exist without (its structural
references, the identity a device is reached by); ``complete`` is what a complete record has (power,
LED flag, model...). A missing ``complete`` attribute never rejects an asset: it is listed as
incomplete (:mod:`assets.quality`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gis.names import fold

if TYPE_CHECKING:
    from assets.models.base import Asset


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
