"""``/exports``: download the assets of one kind as GeoJSON, GeoPackage, CSV or zipped Shapefile."""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from pathlib import Path

from flask import request, send_file
from werkzeug.wrappers import Response

from app.web.api.blueprint import bp
from app.web.api.http import arg_bbox, arg_list
from app.web.auth.roles import STAFF, requires
from app.web.db import engine
from app.web.openapi import Param, Reply, operation
from assets.errors import FieldError, ValidationError
from assets.io import export

MEDIA = {
    "geojson": "application/geo+json", "gpkg": "application/geopackage+sqlite3", "csv": "text/csv",
    "shp": "application/zip",
}
BINARY = {"type": "string", "format": "binary"}
SUFFIX = {"geojson": ".geojson", "gpkg": ".gpkg", "csv": ".csv", "shp": ".shp"}


@bp.get("/exports", endpoint="export")
@requires(*STAFF)
@operation(
    "Download the assets of one kind as a file",
    tags=["import and export"],
    description="GeoJSON (RFC 7946, WGS84), GeoPackage (Lambert-93), CSV, or Shapefile (Lambert-93, zipped). "
                "The file imports back (references by code).",
    query=(
        Param("kind", {"type": "string"}, "the asset kind", required=True),
        Param("format", {"enum": list(MEDIA), "default": "geojson"}, "file format"),
        Param("status", {"type": "string"}, "inventory statuses, comma-separated"),
        Param("commune", {"type": "string"}, "communes by INSEE code or name, comma-separated"),
        Param("bbox", {"type": "string"}, "min lon,min lat,max lon,max lat (WGS84)"),
    ),
    responses={200: Reply(BINARY, "The file, as an attachment", content_type=MEDIA["geojson"],
                          alternatives={m: BINARY for f, m in MEDIA.items() if f != "geojson"})},
)
def export_route() -> Response:
    kind = (request.args.get("kind") or "").strip()
    fmt = (request.args.get("format") or "geojson").strip().lower()
    if not kind:
        raise ValidationError(FieldError("kind", "missing: which kind to export"))
    if fmt not in MEDIA:
        raise ValidationError(FieldError("format", f"{fmt!r} is not one of {', '.join(MEDIA)}"))
    folder = Path(tempfile.mkdtemp(prefix="citypilot-export-"))
    try:
        path = folder / f"{kind}{SUFFIX[fmt]}"
        result = export(engine(), kind, path, fmt, status=arg_list("status") or None,
                        commune=arg_list("commune") or None, bbox=arg_bbox())
        if fmt == "shp":
            path = folder / f"{kind}.zip"
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
                for written in result.paths:
                    for part in sorted(folder.glob(f"{written.stem}.*")):
                        if part != path:
                            archive.write(part, part.name)
        response = send_file(path, mimetype=MEDIA[fmt], as_attachment=True, download_name=path.name)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    response.call_on_close(lambda: shutil.rmtree(folder, ignore_errors=True))
    return response
