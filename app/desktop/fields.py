"""What the form shows for a kind, read from ``GET /api/v1/kinds`` (no Qt here, no rule of the city).

The kind spec's ``attributes`` (name, type, unit, labels, choices with French/English labels, required,
complete, min, max) when the server sends them; else today's shape (``fields``, ``required``,
``choices``), each field's type guessed from the asset's current value.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from app.desktop.i18n import language, pick

TYPES = {  # a spec's type -> the editor kind
    "text": "text", "string": "text", "str": "text", "code": "text",
    "integer": "integer", "int": "integer", "smallint": "integer", "reference": "integer",
    "number": "number", "float": "number", "real": "number", "decimal": "number",
    "boolean": "boolean", "bool": "boolean",
    "date": "date",
    "choice": "choice", "enum": "choice",
    "json": "json", "object": "json",
}
NOT_IN_FORM = ("attrs",)  # free JSON: not a form field


@dataclass(frozen=True)
class FieldSpec:
    """One field of the form."""

    name: str
    type: str  # text, integer, number, boolean, date, choice
    label: str
    unit: str = ""
    choices: tuple[tuple[str, str], ...] = ()  # (value, label in the current language)
    required: bool = False
    complete: bool = False
    minimum: float | None = None
    maximum: float | None = None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _from_attribute(attr: dict[str, Any]) -> FieldSpec:
    name = str(attr["name"])
    french = language() == "fr"
    choices = tuple(
        (str(c.get("value")), str((c.get("label_fr") if french else c.get("label_en")) or c.get("value")))
        for c in attr.get("choices") or [] if isinstance(c, dict)
    )
    kind = "choice" if choices else TYPES.get(str(attr.get("type") or "text").lower(), "text")
    return FieldSpec(name, kind, pick(attr.get("labels"), name), str(attr.get("unit") or ""), choices,
                     bool(attr.get("required")), bool(attr.get("complete")),
                     _number(attr.get("min")), _number(attr.get("max")))


def _guessed(name: str, kind: dict[str, Any], value: Any) -> FieldSpec:
    choices = tuple((str(v), str(v)) for v in (kind.get("choices") or {}).get(name) or [])
    if choices:
        editor = "choice"
    elif isinstance(value, bool):
        editor = "boolean"
    elif isinstance(value, int) or name.endswith("_id"):
        editor = "integer"
    elif isinstance(value, float):
        editor = "number"
    elif name.endswith("_date") or _is_date(value):
        editor = "date"
    elif isinstance(value, (dict, list)):
        editor = "json"
    else:
        editor = "text"
    return FieldSpec(name, editor, name.replace("_", " "), required=name in (kind.get("required") or []),
                     choices=choices)


def _is_date(value: Any) -> bool:
    if not isinstance(value, str) or len(value) != 10:
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def field_specs(kind: dict[str, Any], properties: dict[str, Any] | None = None) -> list[FieldSpec]:
    """The form's fields for ``kind`` (an item of ``/kinds``), in the server's order."""
    properties = properties or {}
    attributes = {str(a["name"]): a for a in kind.get("attributes") or [] if isinstance(a, dict) and a.get("name")}
    names = list(kind.get("fields") or [])
    names += [n for n in attributes if n not in names]
    specs = []
    for name in names:
        spec = _from_attribute(attributes[name]) if name in attributes else _guessed(name, kind, properties.get(name))
        if name not in NOT_IN_FORM and spec.type != "json":
            specs.append(spec)
    return specs
