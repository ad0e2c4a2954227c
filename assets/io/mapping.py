"""Which column of a file feeds which field of a kind.

Explicit choices (``--map SOURCE=TARGET``) come first; every other column is matched to a field by
its name, case- and accent-insensitively (``Code``, ``CODE`` and ``côde`` all feed ``code``); what
matches nothing goes to the free attributes (``attrs``) under its own name, so nothing is lost.

Targets: a field of the kind; a reference by code (``parent_code``, ``fibre_node_code``,
``energy_meter_code``...); ``fov`` (a camera's field of view as WKT or GeoJSON); ``attrs.NAME`` (a
free attribute); ``attrs`` (a JSON object merged into the free attributes); ``x``, ``y`` or ``wkt``
(CSV geometry columns); ``-`` (ignore the column).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from assets.errors import FieldError, ValidationError
from assets.fields import GEOMETRY_FIELDS, READ_ONLY, coerce, editable_fields
from assets.io.columns import Reference, geometry_columns, references, shapefile_columns
from gis.names import fold

IGNORE = "-"
READER_TARGETS = ("x", "y", "wkt")
# Columns an import adds to its rejects file: importing a fixed rejects file again ignores them.
REJECT_COLUMNS = ("reject_reason", "source_row")

MappingInput = Mapping[str, str | Sequence[str]] | Iterable[tuple[str, str]]


def mapping_pairs(mapping: MappingInput | None) -> list[tuple[str, str]]:
    """``{source: target or [targets]}`` or ``[(source, target)]`` as a flat list of pairs."""
    if not mapping:
        return []
    if isinstance(mapping, Mapping):
        pairs = []
        for source, targets in mapping.items():
            for target in [targets] if isinstance(targets, str) else targets:
                pairs.append((source, target))
        return pairs
    return [(s, t) for s, t in mapping]


def parse_assignment(text: str, what: str) -> tuple[str, str]:
    """``'A=B'`` -> ``('A', 'B')`` (split at the first ``=``); ValidationError naming ``what`` otherwise."""
    source, sep, target = text.partition("=")
    if not sep or not source.strip():
        raise ValidationError(FieldError(what, f"expected SOURCE=TARGET, got {text!r}"))
    return source.strip(), target.strip()


def reader_columns(pairs: list[tuple[str, str]]) -> tuple[tuple[str, str] | None, str | None]:
    """The CSV geometry columns chosen with ``--map COL=x``, ``COL=y`` or ``COL=wkt``."""
    chosen = {t.lower(): s for s, t in pairs if t.lower() in (*READER_TARGETS, "geom")}
    if ("x" in chosen) != ("y" in chosen):
        raise ValidationError(FieldError("map", "map both an x and a y column (e.g. --map X=x --map Y=y)"))
    xy = (chosen["x"], chosen["y"]) if "x" in chosen else None
    return xy, chosen.get("wkt") or chosen.get("geom")


@dataclass
class ColumnPlan:
    """Where each column goes. Targets are unique: one source column per field."""

    kind: str
    fields: dict[str, str] = field(default_factory=dict)  # field -> column
    references: dict[str, tuple[str, Reference]] = field(default_factory=dict)  # id field -> (column, ref)
    geometries: dict[str, str] = field(default_factory=dict)  # "fov" -> column
    attrs: dict[str, str] = field(default_factory=dict)  # attrs key -> column
    attrs_json: str | None = None  # a column holding a JSON object merged into attrs
    ignored: dict[str, str] = field(default_factory=dict)  # column -> why
    geometry_source: list[str] = field(default_factory=list)  # CSV columns read as the geometry
    defaults: dict[str, Any] = field(default_factory=dict)  # field or code column -> typed value
    recode: dict[str, dict[str, str]] = field(default_factory=dict)  # field -> folded value -> text

    def source_of(self, target: str) -> str | None:
        """The column feeding ``target`` (a field, a reference id field or its code column)."""
        if target in self.fields:
            return self.fields[target]
        for id_field, (column, ref) in self.references.items():
            if target in (id_field, ref.code_column):
                return column
        return self.geometries.get(target)

    def describe(self) -> dict[str, Any]:
        """The plan as plain data, for reports."""
        used = {c: t for t, c in self.fields.items()}
        used.update({c: ref.code_column for c, ref in self.references.values()})
        used.update({c: t for t, c in self.geometries.items()})
        if self.attrs_json:
            used[self.attrs_json] = "attrs"
        return {
            "columns": used,
            "to_attrs": {c: k for k, c in self.attrs.items()},  # column -> attrs key
            "geometry": self.geometry_source,
            "ignored": self.ignored,
            "defaults": {k: str(v) for k, v in self.defaults.items()},
        }


def plan_columns(
    kind: str,
    columns: Sequence[str],
    mapping: MappingInput | None = None,
    *,
    geometry_source: Sequence[str] = (),
    defaults: Mapping[str, Any] | None = None,
    recode: Mapping[str, Mapping[str, Any]] | None = None,
) -> ColumnPlan:
    """Decide where each of ``columns`` goes for an import of ``kind``; ValidationError on a bad map."""
    plan = ColumnPlan(kind=kind, geometry_source=list(geometry_source))
    targets = _Targets(kind)
    pairs = [(s, t) for s, t in mapping_pairs(mapping) if t.lower() not in (*READER_TARGETS, "geom")]
    explicit: dict[str, list[str]] = {}
    for source, target in pairs:
        explicit.setdefault(_find_column(source, columns), []).append(target)
    for column, wanted in explicit.items():
        for target in wanted:
            _assign(plan, targets, column, target, explicit=True)
    for column in columns:
        if column in explicit or column in plan.geometry_source:
            continue
        _assign(plan, targets, column, targets.auto(column), explicit=False)
    for ref in references(kind):
        if ref.id_field in plan.fields and ref.id_field in plan.references:
            plan.ignored[plan.fields.pop(ref.id_field)] = f"ids are per database: {ref.code_column} is used"
    plan.defaults = _defaults(kind, targets, defaults or {})
    plan.recode = _recode(kind, recode or {})
    return plan


class _Targets:
    """What a column may feed for one kind, and the automatic match of a column name."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.fields = [f for f in editable_fields(kind) if f != "attrs"]
        self.refs = {r.code_column: r for r in references(kind)}
        self.geometries = [g for g in geometry_columns(kind) if g != "geom"]
        self.read_only = list(READ_ONLY)
        by_fold = {fold(name): name for name in (*self.fields, *self.refs, *self.geometries, *self.read_only)}
        by_fold["attrs"] = "attrs"
        for name, short in shapefile_columns(kind).items():
            by_fold.setdefault(fold(short), name)
        self.by_fold = by_fold

    def auto(self, column: str) -> str:
        folded = fold(column)
        if folded in REJECT_COLUMNS:
            return IGNORE
        if folded in self.read_only:
            return "read_only"
        return self.by_fold.get(folded, "attrs." + column.strip())

    def describe(self) -> str:
        return ", ".join([*self.fields, *self.refs, *self.geometries, "attrs", "attrs.NAME", "x", "y", "wkt", "-"])


def _find_column(source: str, columns: Sequence[str]) -> str:
    if source in columns:
        return source
    matches = [c for c in columns if fold(c) == fold(source)]
    if len(matches) == 1:
        return matches[0]
    raise ValidationError(FieldError("map", f"no column {source!r} in the file (columns: {', '.join(columns)})"))


def _assign(plan: ColumnPlan, targets: _Targets, column: str, target: str, *, explicit: bool) -> None:
    name = targets.by_fold.get(fold(target), target) if explicit else target
    if name == IGNORE:
        plan.ignored[column] = "ignored (--map)" if explicit else "column of a rejects file"
    elif name == "read_only" or name in targets.read_only:
        if explicit:
            raise ValidationError(FieldError("map", f"{target!r} is computed by CityPilot and cannot be imported"))
        plan.ignored[column] = "computed by CityPilot"
    elif name == "attrs":
        if plan.attrs_json and not explicit:
            plan.attrs[column] = column
        else:
            plan.attrs_json = column
    elif name.startswith("attrs."):
        key = name.removeprefix("attrs.").strip()
        if not key:
            raise ValidationError(FieldError("map", f"{target!r}: name the free attribute, e.g. attrs.lamp_type"))
        plan.attrs.setdefault(key, column)
    elif name in targets.fields:
        _claim(plan.fields, name, column, plan, explicit)
    elif name in targets.refs:
        ref = targets.refs[name]
        if ref.id_field in plan.references and not explicit:
            plan.attrs.setdefault(column.strip(), column)
        else:
            plan.references[ref.id_field] = (column, ref)
    elif name in targets.geometries:
        _claim(plan.geometries, name, column, plan, explicit)
    else:
        raise ValidationError(
            FieldError("map", f"{target!r} is not a field of {plan.kind} (targets: {targets.describe()})")
        )


def _claim(slots: dict[str, str], name: str, column: str, plan: ColumnPlan, explicit: bool) -> None:
    """Give ``name`` to ``column``; an explicit choice wins, a second automatic match goes to attrs."""
    if name not in slots:
        slots[name] = column
    elif explicit:
        raise ValidationError(FieldError("map", f"columns {slots[name]!r} and {column!r} both mapped to {name}"))
    else:
        plan.attrs.setdefault(column.strip(), column)


def _defaults(kind: str, targets: _Targets, defaults: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for target, raw in defaults.items():
        name = targets.by_fold.get(fold(target), target)
        if name in targets.refs:
            out[name] = str(raw).strip()
        elif name in targets.fields:
            try:
                out[name] = coerce(kind, name, raw)
            except ValidationError as err:
                raise ValidationError([FieldError(f"default {e.field}", e.reason) for e in err.errors]) from None
        else:
            raise ValidationError(FieldError("default", f"{target!r} is not a field of {kind}"))
    return out


def _recode(kind: str, recode: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, str]]:
    fields = editable_fields(kind)
    out: dict[str, dict[str, str]] = {}
    for target, table in recode.items():
        if target not in fields or target in GEOMETRY_FIELDS:
            raise ValidationError(FieldError("recode", f"{target!r} is not a field of {kind}"))
        out[target] = {("*" if k == "*" else fold(k)): str(v) for k, v in table.items()}
    return out


def parse_recode(items: Iterable[str]) -> dict[str, dict[str, str]]:
    """``['is_led:LED=yes', 'is_led:*=no']`` -> ``{'is_led': {'LED': 'yes', '*': 'no'}}``."""
    out: dict[str, dict[str, str]] = {}
    for item in items:
        target, sep, rest = item.partition(":")
        value, eq, new = rest.rpartition("=")
        if not sep or not eq or not target.strip() or not value.strip():
            raise ValidationError(FieldError("recode", f"expected FIELD:VALUE=NEW, got {item!r}"))
        out.setdefault(target.strip(), {})[value.strip()] = new.strip()
    return out
