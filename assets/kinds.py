"""What distinguishes one asset kind from another: geometry, required attributes, parents, labels.

Each model subclass declares its ``spec``; :func:`register` files it under its kind name, which is
the name used by the CLI, the API, imports and exports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

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
