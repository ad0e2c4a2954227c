"""The inventory's rules, checked the same way for every write path, one record or thirty thousand.

Each function returns, per record, the list of FieldErrors (empty when the record is valid).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from shapely.geometry.base import BaseGeometry
from sqlalchemy import text
from sqlalchemy.orm import Session

from assets.errors import FieldError
from assets.kinds import KindSpec, spec_for
from assets.territory import Territory, commune_insee, commune_lookup
from gis.geometry import type_problem

Record = dict[str, Any]  # field -> typed value; "geom" holds a shapely geometry in Lambert-93

_TERRITORY_CACHE: dict[str, Territory | None] = {}


def territory_of(session: Session) -> Territory | None:
    """The territory of the database behind ``session`` (cached per database URL)."""
    key = str(session.get_bind().url)
    if key not in _TERRITORY_CACHE:
        _TERRITORY_CACHE[key] = Territory.from_database(session.connection())
    return _TERRITORY_CACHE[key]


def forget_territory() -> None:
    """Drop cached territories (after the communes change)."""
    _TERRITORY_CACHE.clear()


def check_static(spec: KindSpec, records: Sequence[Record], territory: Territory | None) -> list[list[FieldError]]:
    """Rules that need no lookup: geometry type and validity, territory, required, choices, ranges."""
    errors: list[list[FieldError]] = [[] for _ in records]
    geoms = np.array([r.get("geom") for r in records], dtype=object)
    for i, record in enumerate(records):
        errs = errors[i]
        geom: BaseGeometry | None = record.get("geom")
        if geom is None:
            if spec.geometry_required:
                errs.append(FieldError("geom", "missing: a location is required"))
        else:
            problem = type_problem(geom, spec.geometry_types)
            if problem:
                errs.append(FieldError("geom", problem))
        code = record.get("code")
        if code is None or not str(code).strip():
            errs.append(FieldError("code", "missing: every asset needs its code (the tag on the equipment)"))
        for field in spec.required:
            if record.get(field) is None:
                errs.append(FieldError(field, f"missing: required for a {spec.label_en}"))
        for field, (low, high) in spec.ranges.items():
            value = record.get(field)
            if value is not None and not (low <= value <= high):
                errs.append(FieldError(field, f"{value} is outside {low:g}..{high:g}"))
        if spec.parent_required and record.get("parent_id") is None:
            parents = " or ".join(spec.parent_kinds)
            errs.append(FieldError("parent_id", f"missing: a {spec.label_en} belongs to a {parents}"))
        if record.get("parent_id") is not None and not spec.parent_kinds:
            errs.append(FieldError("parent_id", f"a {spec.label_en} has no parent in the hierarchy"))
    if territory is not None:
        located = [i for i, g in enumerate(geoms) if g is not None and not any(e.field == "geom" for e in errors[i])]
        if located:
            inside = territory.contains(geoms[located])
            for i, ok in zip(located, inside, strict=True):
                if not ok:
                    errors[i].append(
                        FieldError("geom", f"outside the territory (more than {territory.tolerance_m:g} m from it)")
                    )
    return errors


def check_references(
    session: Session, spec: KindSpec, records: Sequence[Record], own_ids: Sequence[int | None] = ()
) -> list[list[FieldError]]:
    """References point at existing assets of the right kind; unique fields are not taken."""
    errors: list[list[FieldError]] = [[] for _ in records]
    ref_fields = dict(spec.references)
    if spec.parent_kinds:
        ref_fields["parent_id"] = spec.parent_kinds
    wanted = {r[f] for r in records for f in ref_fields if r.get(f) is not None}
    kinds: dict[int, tuple[str, str]] = {}
    if wanted:
        rows = session.execute(
            text("SELECT id, kind, status FROM assets WHERE id = ANY(:ids)"), {"ids": list(wanted)}
        )
        kinds = {row.id: (row.kind, row.status) for row in rows}
    for i, record in enumerate(records):
        for field, allowed in ref_fields.items():
            ref = record.get(field)
            if ref is None:
                continue
            if ref not in kinds:
                errors[i].append(FieldError(field, f"asset {ref} does not exist"))
            elif kinds[ref][0] not in allowed:
                expected = " or ".join(allowed)
                errors[i].append(FieldError(field, f"asset {ref} is a {kinds[ref][0]}, expected {expected}"))
            elif kinds[ref][1] == "removed" and record.get("status") != "removed":
                errors[i].append(FieldError(field, f"asset {ref} is removed"))
    own = list(own_ids) + [None] * (len(records) - len(own_ids))
    for field in ("code", *spec.unique):
        values = [r.get(field) for r in records]
        present = [v for v in values if v is not None]
        if not present:
            continue
        condition = "kind = :kind AND " if field == "code" else ""
        taken = {
            row[0]: row[1]
            for row in session.execute(
                text(f"SELECT {field}, id FROM assets WHERE {condition}{field} = ANY(:values)"),
                {"values": present, "kind": spec.name},
            )
        }
        seen: dict[Any, int] = {}
        for i, value in enumerate(values):
            if value is None:
                continue
            if value in taken and taken[value] != own[i]:
                errors[i].append(FieldError(field, f"{value!r} is already used by asset {taken[value]}"))
            elif value in seen:
                errors[i].append(FieldError(field, f"{value!r} appears twice (also record {seen[value] + 1})"))
            else:
                seen[value] = i
    return errors


def resolve_commune_lists(session: Session, spec: KindSpec, records: Sequence[Record]) -> list[list[FieldError]]:
    """Communes of the kind's commune lists, given by INSEE code or name (case and accents ignored),
    become the sorted INSEE codes of today's communes, in place; one error per unknown commune."""
    errors: list[list[FieldError]] = [[] for _ in records]
    fields = [f for f in spec.commune_lists if any(r.get(f) for r in records)]
    if not fields:
        return errors
    lookup = commune_lookup(session)
    for i, record in enumerate(records):
        for field in fields:
            if not record.get(field):
                continue
            found = set()
            for item in str(record[field]).split(","):
                insee = commune_insee(lookup, item)
                if insee is None:
                    errors[i].append(FieldError(field, f"{item!r} is not a commune of the metropole today "
                                                       "(INSEE code or name)"))
                else:
                    found.add(insee)
            record[field] = ",".join(sorted(found))
    return errors


def check_records(
    session: Session, kind: str, records: Sequence[Record], own_ids: Sequence[int | None] = ()
) -> list[list[FieldError]]:
    """Every rule for ``records`` of ``kind``; one error list per record. Commune lists given by name
    become INSEE codes in the records."""
    spec = spec_for(kind)
    communes = resolve_commune_lists(session, spec, records)
    static = check_static(spec, records, territory_of(session))
    refs = check_references(session, spec, records, own_ids)
    return [a + b + c for a, b, c in zip(communes, static, refs, strict=True)]
