"""The one write path of the inventory: create, update, retire, bulk insert — all validated.

Provenance, versions, communes and the audit trail are kept by database triggers (migration 0001),
so even a raw SQL edit is recorded; this module adds the rules (validation) and optimistic locking.
Every function takes a Session opened by :func:`assets.db.unit_of_work`, which names the actor.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import shapely
from geoalchemy2.shape import from_shape, to_shape
from psycopg.types.json import Jsonb
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from assets.errors import ConflictError, FieldError, NotFoundError, ValidationError
from assets.fields import GEOMETRY_FIELDS, READ_ONLY, coerce, editable_fields
from assets.kinds import model_for
from assets.models import Asset, AssetHistory
from assets.validation import Record, check_records
from gis.crs import STORAGE_SRID

UNSET: Any = object()


def get_asset(session: Session, asset_id: int) -> Asset:
    """The asset with this id; NotFoundError otherwise."""
    asset = session.get(Asset, asset_id)
    if asset is None:
        raise NotFoundError(f"asset {asset_id} does not exist")
    return asset


def find_asset(session: Session, kind: str, code: str) -> Asset:
    """The asset of ``kind`` tagged ``code``; NotFoundError otherwise."""
    model = model_for(kind)
    asset = session.scalars(select(model).where(model.code == code)).first()
    if asset is None:
        raise NotFoundError(f"no {kind} with code {code!r}")
    return asset


def record_of(asset: Asset) -> Record:
    """The editable fields and geometries of an asset as a typed record."""
    record: Record = {f: getattr(asset, f) for f in editable_fields(asset.kind)}
    for g in GEOMETRY_FIELDS:
        if hasattr(asset, g):
            value = getattr(asset, g)
            record[g] = None if value is None else to_shape(value)
    return record


def coerce_record(kind: str, values: Mapping[str, Any]) -> Record:
    """Coerce raw values field by field; raises ValidationError listing every bad field."""
    record: Record = {}
    errors: list[FieldError] = []
    for field, raw in values.items():
        if field in GEOMETRY_FIELDS:
            record[field] = raw
            continue
        try:
            record[field] = coerce(kind, field, raw)
        except ValidationError as err:
            errors.extend(err.errors)
    if errors:
        raise ValidationError(errors)
    return record


def _raise_if_invalid(errors: list[list[FieldError]]) -> None:
    flat = [e for errs in errors for e in errs]
    if flat:
        raise ValidationError(flat)


def _geometry_value(geom: BaseGeometry | None) -> Any:
    return None if geom is None else from_shape(geom, srid=STORAGE_SRID)


def create_asset(session: Session, kind: str, values: Mapping[str, Any]) -> Asset:
    """Validate and insert one asset of ``kind``; ``values`` may hold raw text or typed values."""
    record = coerce_record(kind, values)
    record.setdefault("status", "in_service")
    _raise_if_invalid(check_records(session, kind, [record]))
    model = model_for(kind)
    asset = model(
        **{k: v for k, v in record.items() if k not in GEOMETRY_FIELDS},
        **{g: _geometry_value(record.get(g)) for g in GEOMETRY_FIELDS if g in record},
    )
    session.add(asset)
    session.flush()
    session.refresh(asset)
    return asset


def update_asset(session: Session, asset_id: int, changes: Mapping[str, Any], expected_version: int) -> Asset:
    """Apply ``changes`` if the asset is still at ``expected_version``; ConflictError otherwise."""
    asset = get_asset(session, asset_id)
    session.refresh(asset, with_for_update=True)
    if asset.version != expected_version:
        raise ConflictError(
            f"asset {asset_id} was changed by someone else (version {asset.version}, you had {expected_version})",
            current_version=asset.version,
        )
    bad = [FieldError(f, "is computed by CityPilot and cannot be set") for f in changes if f in READ_ONLY]
    if bad:
        raise ValidationError(bad)
    delta = coerce_record(asset.kind, changes)
    merged = {**record_of(asset), **delta}
    _raise_if_invalid(check_records(session, asset.kind, [merged], own_ids=[asset.id]))
    for field, value in delta.items():
        setattr(asset, field, _geometry_value(value) if field in GEOMETRY_FIELDS else value)
    try:
        session.flush()
    except StaleDataError:
        raise ConflictError(f"asset {asset_id} was changed by someone else meanwhile") from None
    session.refresh(asset)
    return asset


def retire_asset(session: Session, asset_id: int, expected_version: int | None = None) -> Asset:
    """Removal is a status change: the asset stays, with its history, as ``removed``."""
    asset = get_asset(session, asset_id)
    version = asset.version if expected_version is None else expected_version
    return update_asset(session, asset_id, {"status": "removed"}, version)


def history(session: Session, asset_id: int) -> list[AssetHistory]:
    """Every recorded change of an asset, oldest first."""
    return list(
        session.scalars(
            select(AssetHistory).where(AssetHistory.asset_id == asset_id).order_by(AssetHistory.id)
        )
    )


def allocate_ids(session: Session, count: int) -> list[int]:
    """Reserve ``count`` asset ids, so a batch can reference its own members before inserting."""
    rows = session.execute(
        text("SELECT nextval(pg_get_serial_sequence('assets', 'id')) FROM generate_series(1, :n)"),
        {"n": count},
    )
    return [r[0] for r in rows]


def bulk_insert(
    session: Session, kind: str, records: Sequence[Record], *, validate: bool = True
) -> list[int]:
    """Insert many typed records of one kind with COPY; every record is validated unless the caller
    already did it with :func:`assets.validation.check_records` (``validate=False``).

    Records may carry an ``id`` from :func:`allocate_ids`. Returns the ids in record order.
    """
    if not records:
        return []
    if validate:
        errors = check_records(session, kind, records)
        bad = [(i, errs) for i, errs in enumerate(errors) if errs]
        if bad:
            i, errs = bad[0]
            raise ValidationError([FieldError(f"record {i + 1}.{e.field}", e.reason) for e in errs])
    missing_ids = sum(1 for r in records if r.get("id") is None)
    fresh = iter(allocate_ids(session, missing_ids)) if missing_ids else iter(())
    ids = [r["id"] if r.get("id") is not None else next(fresh) for r in records]
    fields = [f for f in editable_fields(kind) if f in ("status", "attrs") or any(f in r for r in records)]
    geo = [g for g in GEOMETRY_FIELDS if any(r.get(g) is not None for r in records)]
    columns = ["id", "kind", *fields, *geo]
    geo_hex = {g: _ewkb_hex([r.get(g) for r in records]) for g in geo}
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cur, cur.copy(f"COPY assets ({', '.join(columns)}) FROM STDIN") as copy:
        for i, record in enumerate(records):
            row: list[Any] = [ids[i], kind]
            for f in fields:
                value = record.get(f)
                if f == "status":
                    value = value or "in_service"
                elif f == "attrs":
                    value = Jsonb(value or {})
                row.append(value)
            row.extend(geo_hex[g][i] for g in geo)
            copy.write_row(row)
    return ids


def _ewkb_hex(geoms: list[BaseGeometry | None]) -> list[str | None]:
    """Lambert-93 EWKB hex strings, vectorised."""
    arr = np.array(geoms, dtype=object)
    present = np.array([g is not None for g in geoms])
    out: list[str | None] = [None] * len(geoms)
    if present.any():
        tagged = shapely.set_srid(arr[present], STORAGE_SRID)
        hexes = shapely.to_wkb(tagged, hex=True, include_srid=True)
        for i, h in zip(np.flatnonzero(present), hexes, strict=True):
            out[i] = h
    return out

