"""Which fields a kind has, which a client may write, and how text becomes a typed value."""

from __future__ import annotations

import datetime as dt
import json
import re
from functools import cache
from typing import Any

from sqlalchemy import Boolean, Date, Float, Integer, SmallInteger
from sqlalchemy.dialects.postgresql import JSONB

from assets.errors import FieldError, ValidationError
from assets.kinds import kind_attributes, model_for, spec_for
from gis.names import fold

CORE_EDITABLE = (
    "code", "name", "status", "install_date", "manufacturer", "model", "attrs", "parent_id", "fibre_node_id",
)
READ_ONLY = (
    "id", "kind", "commune_insee", "created_at", "created_by", "updated_at", "updated_by", "version", "length_m",
)
GEOMETRY_FIELDS = ("geom", "fov")
INSEE_CODE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
TRUE_WORDS = {"true", "t", "yes", "y", "oui", "o", "1", "vrai", "x"}
FALSE_WORDS = {"false", "f", "no", "n", "non", "0", "faux"}


@cache
def editable_fields(kind: str) -> tuple[str, ...]:
    """Fields of ``kind`` a client may set (geometry apart)."""
    extra = [f for f in kind_attributes(kind) if f not in READ_ONLY and f not in GEOMETRY_FIELDS]
    return (*CORE_EDITABLE, *extra)


@cache
def all_fields(kind: str) -> tuple[str, ...]:
    """Every non-geometry field of ``kind``, for exports and reads."""
    model = model_for(kind)
    return tuple(k for k in model.__mapper__.column_attrs.keys() if k not in GEOMETRY_FIELDS)


def _column_type(kind: str, field: str) -> object:
    """The SQLAlchemy type of ``field`` of ``kind``."""
    return model_for(kind).__mapper__.column_attrs[field].columns[0].type


def coerce(kind: str, field: str, raw: Any) -> Any:
    """Turn ``raw`` (text from a file or a command line, or a JSON value) into the field's type.

    Empty text and None become None. Raises ValidationError naming the field and the reason.
    """
    if field not in editable_fields(kind):
        if field in READ_ONLY:
            raise _invalid(field, "is computed by CityPilot and cannot be set")
        raise _invalid(field, f"is not a field of {kind}")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if field in spec_for(kind).commune_lists:
        return _commune_list(field, raw)
    sql_type = _column_type(kind, field)
    try:
        if isinstance(sql_type, Boolean):
            value: Any = _to_bool(raw)
        elif isinstance(sql_type, (Integer, SmallInteger)):
            value = _to_int(raw)
        elif isinstance(sql_type, Float):
            value = float(raw.replace(",", ".").strip()) if isinstance(raw, str) else float(raw)
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError("not a finite number")
        elif isinstance(sql_type, Date):
            value = _to_date(raw)
        elif isinstance(sql_type, JSONB):
            value = json.loads(raw) if isinstance(raw, str) else raw
            if not isinstance(value, dict):
                raise ValueError("expected a JSON object")
        else:
            value = str(raw).strip()
    except (TypeError, ValueError) as exc:
        raise _invalid(field, f"cannot read {str(raw)[:40]!r}: {exc}") from None
    spec = spec_for(kind)
    choices = spec.choices.get(field)
    if choices and isinstance(value, str):
        match = spec.read_choice(field, value)
        if match is None:
            raise UnknownChoiceError(kind, field, value)
        value = match
    if field == "status":
        folded = fold(value)
        from assets.models.base import INVENTORY_STATUSES

        if folded not in INVENTORY_STATUSES:
            raise _invalid(field, f"{value!r} is not one of {', '.join(INVENTORY_STATUSES)}")
        value = folded
    return value


class UnknownChoiceError(ValidationError):
    """A value that names none of a choice field's choices (nor any of their French words)."""

    def __init__(self, kind: str, field: str, value: str) -> None:
        spec = spec_for(kind)
        listed = ", ".join(f"{c} ({spec.choice_label(field, c, 'fr')})" for c in spec.choices[field])
        super().__init__(FieldError(field, f"{value!r} is not one of {listed}"))
        self.field, self.value = field, value


def _commune_list(field: str, value: Any) -> str | None:
    """Communes given as a list or as text separated by commas or semicolons: INSEE codes (upper
    case) or names, once each, comma-separated; names become codes when checked against the territory
    (:func:`assets.validation.check_records`)."""
    items = value if isinstance(value, list) else re.split(r"[,;]", str(value))
    out: dict[str, None] = {}
    for item in (" ".join(str(i).split()) for i in items):
        if item:
            out[item.upper() if INSEE_CODE.match(item.upper()) else item] = None
    return ",".join(out) or None


def _invalid(field: str, reason: str) -> ValidationError:
    return ValidationError(FieldError(field, reason))


def _to_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    word = fold(str(raw))
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError("expected yes/no, true/false, oui/non or 1/0")


def _to_int(raw: Any) -> int:
    if isinstance(raw, bool):
        raise ValueError("expected a whole number")
    if isinstance(raw, float):
        if not raw.is_integer():
            raise ValueError("expected a whole number")
        return int(raw)
    if isinstance(raw, int):
        return raw
    text = str(raw).strip().replace(",", ".")
    number = float(text)
    if not number.is_integer():
        raise ValueError("expected a whole number")
    return int(number)


def _to_date(raw: Any) -> dt.date:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    text = str(raw).strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%Y/%m/%d", "%d-%m-%Y", "%Y"):
        try:
            return dt.datetime.strptime(text[:10] if fmt != "%Y" else text, fmt).date()
        except ValueError:
            continue
    raise ValueError("expected a date such as 2021-06-30 or 30/06/2021")
