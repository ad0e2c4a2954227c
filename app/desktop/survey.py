"""A survey file on the planner's disk, before it goes to the server: what to upload (a shapefile zipped with
its sidecars), its layers, columns and features in WGS84 for the map's preview. No Qt, no import rule: the
server's import decides what is imported (``POST /api/v1/imports``)."""

from __future__ import annotations

import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gis.crs import CrsError
from gis.formats import (
    MULTI_LAYER,
    SHAPEFILE_SIDECARS,
    FormatError,
    describe_crs,
    detect_format,
    list_layers,
    looks_projected,
    read_vector,
    rfc7946_geometries,
    transformer_to,
)

PREVIEW_MAX = 20_000  # features drawn on the map at most (the import itself takes every row)
FILTER = "Surveys (*.geojson *.json *.gpkg *.shp *.zip *.csv *.txt)"


class SurveyError(ValueError):
    """A file the desktop cannot read; the message is meant for the planner."""


@dataclass(frozen=True)
class Survey:
    """What the file holds: its columns, row count, CRS and the features to draw (at most ``PREVIEW_MAX``)."""

    path: Path
    format: str
    layer: str | None
    columns: list[str]
    rows: int
    crs: str
    preview: dict[str, Any]

    @property
    def drawn(self) -> int:
        return len(self.preview["features"])


def layers_of(path: str | Path) -> list[str]:
    """A GeoPackage's (or zip's) layers; none for a single-layer file."""
    try:
        return list_layers(path) if detect_format(path) in MULTI_LAYER else []
    except FormatError as exc:
        raise SurveyError(str(exc)) from None
    except Exception as exc:  # GDAL's own errors for an unreadable file
        raise SurveyError(f"{Path(path).name}: {exc}") from None


def read_survey(path: str | Path, *, layer: str | None = None, crs: str = "") -> Survey:
    """Read ``path`` for the preview: its features in WGS84 (``crs`` overrides the file's)."""
    path = Path(path)
    try:
        data = read_vector(path, layer=layer or None, crs=crs or None)
    except (FormatError, CrsError) as exc:
        raise SurveyError(str(exc)) from None
    features: list[dict[str, Any]] = []
    geoms = data.geometries[:PREVIEW_MAX]
    source = data.crs
    if source is None or (source.is_geographic and not crs and looks_projected(geoms)):
        source = None  # the server will say which CRS to give; nothing can be drawn meanwhile
    if source is not None and len(geoms):
        for i, geometry in enumerate(rfc7946_geometries(geoms, transformer_to(source, 4326))):
            if geometry is not None:
                features.append({"type": "Feature", "geometry": geometry,
                                 "properties": {"row": i + 1, **_plain(data.row(i))}})
    return Survey(path, data.format, data.layer, list(data.columns), len(data), describe_crs(data.crs),
                  {"type": "FeatureCollection", "features": features})


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v if isinstance(v, (str, int, float, bool)) or v is None else str(v) for k, v in row.items()}


def upload_path(path: str | Path, folder: str | Path | None = None) -> Path:
    """The file to send: a ``.shp`` is zipped with its sidecars (the API takes shapefiles as .zip)."""
    path = Path(path)
    if path.suffix.lower() != ".shp":
        return path
    target = Path(folder or tempfile.mkdtemp(prefix="citypilot-import-")) / f"{path.stem}.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for sidecar in SHAPEFILE_SIDECARS:
            for candidate in (path.with_suffix(sidecar), path.with_suffix(sidecar.upper())):
                if candidate.exists():
                    archive.write(candidate, candidate.name)
                    break
    return target


def mapping_choices(report: dict[str, Any]) -> dict[str, str]:
    """The server's suggestion per source column (a dry run's ``columns``): a field, ``attrs.NAME``, ``-``
    (ignored) or ``geometry``."""
    plan = report.get("columns") or {}
    out: dict[str, str] = {}
    for column in plan.get("geometry") or []:
        out[column] = "geometry"
    out.update({c: "-" for c in plan.get("ignored") or {}})
    out.update({c: f"attrs.{key}" for c, key in (plan.get("to_attrs") or {}).items()})
    out.update({c: str(t) for c, t in (plan.get("columns") or {}).items()})
    return out
