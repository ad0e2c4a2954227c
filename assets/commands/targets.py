"""Which devices a command goes to: assets by id, a circuit's luminaires (``topology.downstream``), or
every device of a kind inside a WGS84 polygon. Only assets in service with a device take commands
(a luminaire needs its lamp controller, i.e. a DevEUI); a selection leaves the others out and says
how many; an explicit asset that cannot take the action is an error naming it and why."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import shapely.geometry
from shapely.errors import GEOSException
from sqlalchemy import text
from sqlalchemy.orm import Session

from assets.commands.actions import KIND_ACTIONS, ActionSpec
from assets.errors import FieldError, NotFoundError, ValidationError
from assets.topology import downstream

MAX_TARGETS = 50_000
FORMS = ("asset_ids", "circuit_id", "polygon")
_ROWS = """
SELECT id, kind, code, status, CASE WHEN kind = 'luminaire' THEN dev_eui IS NOT NULL ELSE true END AS device
FROM assets WHERE id = ANY(:ids)
"""


@dataclass(frozen=True)
class Target:
    asset_id: int
    kind: str
    code: str


@dataclass
class Selection:
    """The devices a command goes to, the selection as stored with the command, and those left out."""

    targets: list[Target]
    stored: dict[str, Any]
    skipped: int = 0
    notes: list[str] = field(default_factory=list)


def resolve_targets(session: Session, spec: ActionSpec, target: Any) -> Selection:
    """The devices ``target`` designates for ``spec``'s action; ValidationError naming the field otherwise."""
    if not isinstance(target, Mapping) or not target:
        raise ValidationError(FieldError("target", "missing: give asset_ids, circuit_id or polygon (with kind)"))
    given = [f for f in FORMS if target.get(f) is not None]
    unknown = [k for k in target if k not in (*FORMS, "kind")]
    if unknown:
        raise ValidationError([FieldError(f"target.{k}", "unknown (use asset_ids, circuit_id or polygon)")
                               for k in unknown])
    if len(given) != 1:
        raise ValidationError(FieldError("target", "give exactly one of asset_ids, circuit_id, polygon"))
    if given[0] == "asset_ids":
        selection = _by_ids(session, spec, target["asset_ids"])
    elif given[0] == "circuit_id":
        selection = _by_circuit(session, spec, target["circuit_id"])
    else:
        selection = _by_polygon(session, spec, target["polygon"], target.get("kind"))
    if len(selection.targets) > MAX_TARGETS:
        raise ValidationError(FieldError("target", f"{len(selection.targets)} devices: at most {MAX_TARGETS} "
                                                   "a command"))
    selection.stored["skipped"] = selection.skipped
    return selection


def _kind_problem(spec: ActionSpec, kind: str, code: str) -> str | None:
    if kind in spec.kinds:
        return None
    takes = KIND_ACTIONS.get(kind)
    hint = f"a {kind} takes {', '.join(takes)}" if takes else f"a {kind} takes no command"
    return f"{code} is a {kind}: {spec.name} applies to {' and '.join(k + 's' for k in spec.kinds)} ({hint})"


def _by_ids(session: Session, spec: ActionSpec, ids: Any) -> Selection:
    field_name = "target.asset_ids"
    if not isinstance(ids, list) or not ids:
        raise ValidationError(FieldError(field_name, "expected a non-empty list of asset ids"))
    bad = [i for i, v in enumerate(ids) if isinstance(v, bool) or not isinstance(v, int)]
    if bad:
        raise ValidationError([FieldError(f"{field_name}[{i}]", f"expected an asset id, got {str(ids[i])[:20]!r}")
                               for i in bad])
    ids = list(dict.fromkeys(ids))
    rows = {r.id: r for r in session.execute(text(_ROWS), {"ids": ids})}
    errors, targets = [], []
    for i, asset_id in enumerate(ids):
        row = rows.get(asset_id)
        where = f"{field_name}[{i}]"
        if row is None:
            errors.append(FieldError(where, f"asset {asset_id} does not exist"))
        elif (problem := _kind_problem(spec, row.kind, row.code)) is not None:
            errors.append(FieldError(where, problem))
        elif row.status != "in_service":
            errors.append(FieldError(where, f"{row.code} is {row.status.replace('_', ' ')}: only assets in service "
                                            "take commands"))
        elif not row.device:
            errors.append(FieldError(where, f"{row.code} has no lamp controller (no DevEUI): it cannot be commanded"))
        else:
            targets.append(Target(row.id, row.kind, row.code))
    if errors:
        raise ValidationError(errors)
    return Selection(targets, {"asset_ids": ids})


def _by_circuit(session: Session, spec: ActionSpec, circuit_id: Any) -> Selection:
    field_name = "target.circuit_id"
    if isinstance(circuit_id, bool) or not isinstance(circuit_id, int):
        raise ValidationError(FieldError(field_name, f"expected an asset id, got {str(circuit_id)[:20]!r}"))
    row = session.execute(text("SELECT kind, code, status FROM assets WHERE id = :id"), {"id": circuit_id}).first()
    if row is None:
        raise ValidationError(FieldError(field_name, f"asset {circuit_id} does not exist"))
    if row.kind != "circuit":
        raise ValidationError(FieldError(field_name, f"{row.code} is a {row.kind}, not a circuit"))
    if "luminaire" not in spec.kinds:
        raise ValidationError(FieldError("action", f"{spec.name} does not apply to a circuit (a circuit takes dim)"))
    lamps = [a.id for a in downstream(session, circuit_id) if a.kind == "luminaire"]
    selection = _devices(session, lamps)
    if not selection.targets:
        raise ValidationError(FieldError(field_name, f"circuit {row.code} has no luminaire in service with a lamp "
                                                     f"controller ({len(lamps)} luminaire(s), none commandable)"))
    selection.stored = {"circuit_id": circuit_id, "circuit_code": row.code}
    return selection


def _devices(session: Session, ids: Sequence[int]) -> Selection:
    """The commandable ones of ``ids`` (in service, with a device); the others counted as skipped."""
    targets = [Target(r.id, r.kind, r.code) for r in session.execute(text(_ROWS + " ORDER BY code"), {"ids": list(ids)})
               if r.status == "in_service" and r.device]
    return Selection(targets, {}, skipped=len(ids) - len(targets))


def _by_polygon(session: Session, spec: ActionSpec, polygon: Any, kind: Any) -> Selection:
    field_name = "target.polygon"
    kind = kind or spec.kinds[0]
    if kind not in spec.kinds:
        raise ValidationError(FieldError("target.kind", f"{spec.name} applies to "
                                                        f"{' and '.join(k + 's' for k in spec.kinds)}, not {kind}"))
    if not isinstance(polygon, Mapping) or polygon.get("type") not in ("Polygon", "MultiPolygon"):
        raise ValidationError(FieldError(field_name, "expected a GeoJSON Polygon or MultiPolygon (WGS84 lon/lat)"))
    try:
        shape = shapely.geometry.shape(polygon)
    except (GEOSException, ValueError, TypeError, IndexError, KeyError) as exc:
        raise ValidationError(FieldError(field_name, f"not a readable GeoJSON polygon ({exc})")) from None
    minx, miny, maxx, maxy = shape.bounds if not shape.is_empty else (0, 0, 0, 0)
    if shape.is_empty or not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise ValidationError(FieldError(field_name, "expected WGS84 longitudes and latitudes"))
    if not shape.is_valid:
        raise ValidationError(FieldError(field_name, "the polygon is not valid (it crosses itself?)"))
    rows = session.execute(
        text(
            "SELECT id FROM assets WHERE kind = :kind AND status <> 'removed' AND geom IS NOT NULL AND "
            "ST_Intersects(geom, ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON(:geojson), 4326), 2154))"
        ),
        {"kind": kind, "geojson": json.dumps(shapely.geometry.mapping(shape))},
    ).scalars().all()
    selection = _devices(session, rows)
    if not selection.targets:
        without = f" ({selection.skipped} without one)" if selection.skipped else ""
        raise ValidationError(FieldError(field_name, f"no {kind} in service with a device inside the polygon{without}"))
    selection.stored = {"polygon": dict(polygon), "kind": kind}
    return selection


def ids_of_codes(session: Session, kind: str, codes: Sequence[str]) -> list[int]:
    """The ids of the assets of ``kind`` called ``codes`` (as the CLI names them); NotFoundError naming
    the unknown ones."""
    wanted = [c.strip() for c in codes if c.strip()]
    rows = dict(session.execute(
        text("SELECT upper(code), id FROM assets WHERE kind = :kind AND upper(code) = ANY(:codes)"),
        {"kind": kind, "codes": [c.upper() for c in wanted]},
    ).tuples().all())
    missing = [c for c in wanted if c.upper() not in rows]
    if missing:
        raise NotFoundError(f"no {kind.replace('_', ' ')} with code {', '.join(missing)}")
    return [rows[c.upper()] for c in wanted]
