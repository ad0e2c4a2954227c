"""The territory: communes of the metropole through time, and the area assets must lie in."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

import resources
from assets.errors import FieldError, ValidationError
from gis.names import fold

COMMUNES_2018 = resources.path("data", "dijon-metropole-communes-2018.geojson")


@dataclass(frozen=True)
class Merge:
    """Communes merged into a commune nouvelle on a date (the new one may reuse an old INSEE code)."""

    merged: tuple[str, ...]
    new_insee: str
    new_name: str
    on: dt.date


DIJON_MERGES = (
    Merge(merged=("21213", "21452"), new_insee="21452", new_name="Neuilly-Crimolois", on=dt.date(2019, 1, 1)),
)


def load_communes(conn: Connection, path: Path = COMMUNES_2018, merges: tuple[Merge, ...] = DIJON_MERGES) -> None:
    """Replace the communes with those of ``path`` (WGS84 GeoJSON), apply ``merges``, refresh lookups."""
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    conn.execute(text("DELETE FROM communes"))
    insert = text(
        "INSERT INTO communes (insee, name, geom) VALUES (:insee, :name, "
        "ST_Multi(ST_Transform(ST_ForcePolygonCCW(ST_SetSRID(ST_GeomFromGeoJSON(:geojson), 4326)), 2154)))"
    )
    for feature in features:
        props = feature["properties"]
        conn.execute(
            insert, {"insee": props["code"], "name": props["nom"], "geojson": json.dumps(feature["geometry"])}
        )
    for merge in merges:
        conn.execute(
            text(
                "INSERT INTO communes (insee, name, valid_from, geom) "
                "SELECT :new_insee, :new_name, :on, "
                "       ST_Multi(ST_Buffer(ST_Union(ST_Buffer(geom, 5)), -5)) "
                "  FROM communes WHERE insee = ANY(:merged) AND valid_to IS NULL"
            ),
            {"new_insee": merge.new_insee, "new_name": merge.new_name, "on": merge.on, "merged": list(merge.merged)},
        )
        conn.execute(
            text(
                "UPDATE communes SET valid_to = :on, merged_into = :new_insee "
                " WHERE insee = ANY(:merged) AND valid_to IS NULL AND valid_from IS DISTINCT FROM :on"
            ),
            {"new_insee": merge.new_insee, "on": merge.on, "merged": list(merge.merged)},
        )
    conn.execute(text("SELECT citypilot_refresh_communes()"))


class Territory:
    """The area assets must lie in: today's communes, grown by a tolerance (metres)."""

    def __init__(self, area: BaseGeometry, tolerance_m: float = 500.0) -> None:
        self.area = area
        self.tolerance_m = tolerance_m
        self._grown = shapely.buffer(area, tolerance_m)
        shapely.prepare(self._grown)

    @classmethod
    def from_database(cls, conn: Connection, tolerance_m: float = 500.0) -> Territory | None:
        """Today's communes from the database, or None when none are loaded."""
        wkb = conn.execute(
            text("SELECT ST_AsBinary(ST_Union(geom)) FROM communes WHERE valid_to IS NULL")
        ).scalar()
        return None if wkb is None else cls(shapely.from_wkb(bytes(wkb)), tolerance_m)

    def contains(self, geoms: np.ndarray) -> np.ndarray:
        """For each Lambert-93 geometry, whether it lies within the tolerance of the territory."""
        return shapely.covered_by(geoms, self._grown)


def commune_lookup(conn: Connection | Session) -> dict[str, str]:
    """Today's communes: INSEE code by code and by folded name (see :func:`commune_insee`)."""
    known = conn.execute(text("SELECT insee, name FROM communes WHERE valid_to IS NULL")).all()
    return {fold(name): insee for insee, name in known} | {insee: insee for insee, _ in known}


def commune_insee(lookup: dict[str, str], wanted: str) -> str | None:
    """The INSEE code of a commune given by code or by name (case and accents ignored)."""
    return lookup.get(wanted) or lookup.get(fold(wanted))


def commune_codes(conn: Connection | Session, communes: Sequence[str]) -> list[str]:
    """INSEE codes of today's communes given by code or by name (case and accents ignored)."""
    lookup = commune_lookup(conn)
    out = []
    for wanted in communes:
        insee = commune_insee(lookup, wanted)
        if insee is None:
            raise ValidationError(FieldError("commune", f"no commune {wanted!r} (INSEE code or name)"))
        out.append(insee)
    return out
