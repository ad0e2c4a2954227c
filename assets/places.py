"""Find a street or a code: places matching a typed text (streets, communes, asset codes), accent-
and case-insensitive, best matches first, each with where it is in WGS84 (a point or a bbox)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from assets.errors import FieldError, ValidationError
from gis.crs import STORAGE_SRID, WGS84_SRID

#: The place types, in the order they are offered when equally good.
PLACE_TYPES = ("commune", "street", "asset")
MIN_QUERY = 2
MAX_QUERY = 100

_ACCENTED = "àáâãäåāçćčďèéêëēěìíîïīłñńňòóôõöøōřśšťùúûüūůýÿžźż'’-"
_PLAIN = "aaaaaaacccdeeeeeeiiiiilnnnooooooorsstuuuuuuyyzzz   "


@dataclass(frozen=True)
class Place:
    """A match: its type (commune, street, asset), label, commune name, and a point or a bbox (WGS84)."""

    type: str
    label: str
    commune: str | None
    kind: str | None
    asset_id: int | None
    point: list[float] | None
    bbox: list[float] | None


@dataclass(frozen=True)
class PlacePage:
    items: list[Place]
    total: int
    next_offset: int | None


def fold(value: str) -> str:
    """``value`` lower-cased without accents, apostrophes and hyphens as spaces (as the SQL side folds)."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", value.lower()) if not unicodedata.combining(c))
    for mark in "'’-":
        plain = plain.replace(mark, " ")
    return " ".join(plain.split())


def _sql_fold(column: str) -> str:
    return f"translate(lower({column}), '{_ACCENTED.replace(chr(39), chr(39) * 2)}', '{_PLAIN}')"


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


_BOX = f"ST_Transform(ST_SetSRID(ST_Extent(g.geom)::geometry, {STORAGE_SRID}), {WGS84_SRID})"

_QUERY = f"""
WITH current_communes AS (
    SELECT insee, name, geom FROM communes WHERE valid_to IS NULL
), found AS (
    SELECT 'commune' AS type, g.name AS label, g.name AS commune, NULL::text AS kind, NULL::bigint AS asset_id,
           {_BOX} AS place, {_sql_fold('g.name')} AS folded
    FROM current_communes g
    WHERE {_sql_fold('g.name')} LIKE :contains ESCAPE '\\'
    GROUP BY g.insee, g.name
  UNION ALL
    SELECT 'street', g.name, c.name, NULL, NULL, {_BOX}, {_sql_fold('g.name')}
    FROM streets g LEFT JOIN current_communes c ON c.insee = g.commune_insee
    WHERE g.name IS NOT NULL AND {_sql_fold('g.name')} LIKE :contains ESCAPE '\\'
    GROUP BY g.name, g.commune_insee, c.name
  UNION ALL
    SELECT 'asset', a.code || coalesce(' · ' || a.name, ''), c.name, a.kind, a.id,
           ST_Transform(a.geom, {WGS84_SRID}), lower(a.code)
    FROM assets a LEFT JOIN current_communes c ON c.insee = a.commune_insee
    WHERE a.status <> 'removed' AND a.geom IS NOT NULL AND lower(a.code) LIKE :code ESCAPE '\\'
      AND (:all_kinds OR a.kind IN :kinds)
)
SELECT type, label, commune, kind, asset_id, GeometryType(place) AS shape,
       CASE WHEN GeometryType(place) = 'POINT' THEN ST_X(place) END AS x,
       CASE WHEN GeometryType(place) = 'POINT' THEN ST_Y(place) END AS y,
       ST_XMin(place) AS xmin, ST_YMin(place) AS ymin, ST_XMax(place) AS xmax, ST_YMax(place) AS ymax,
       count(*) OVER () AS total
FROM found
ORDER BY (folded = :exact) DESC, (folded LIKE :prefix ESCAPE '\\') DESC,
         array_position(ARRAY['commune', 'street', 'asset'], type), length(label), label, commune, asset_id
LIMIT :limit OFFSET :offset
"""


def search_places(session: Session, q: str, *, kinds: tuple[str, ...] | None = None, limit: int = 20,
                  offset: int = 0) -> PlacePage:
    """The places matching ``q`` (streets and communes whose name contains it, assets whose code starts
    with it); ``kinds``: the asset kinds the caller may read (None: all)."""
    folded = fold(q or "")
    if len(folded) < MIN_QUERY or len(folded) > MAX_QUERY:
        raise ValidationError(FieldError("q", f"type between {MIN_QUERY} and {MAX_QUERY} characters"))
    needle = _like(folded)
    statement = text(_QUERY).bindparams(bindparam("kinds", expanding=True))
    rows = session.execute(statement, {
        "contains": f"%{needle}%", "prefix": f"{needle}%", "exact": folded,
        "code": f"{_like(q.strip().lower())}%", "all_kinds": kinds is None,
        "kinds": list(kinds or ("",)), "limit": limit, "offset": offset,
    }).mappings().all()
    total = int(rows[0]["total"]) if rows else 0
    items = [_place(row) for row in rows]
    more = offset + len(items) < total
    return PlacePage(items, total, offset + len(items) if more else None)


def _place(row: Any) -> Place:
    point = [round(row["x"], 7), round(row["y"], 7)] if row["x"] is not None else None
    bbox = None if point else [round(row[k], 7) for k in ("xmin", "ymin", "xmax", "ymax")]
    return Place(row["type"], row["label"], row["commune"], row["kind"], row["asset_id"], point, bbox)
