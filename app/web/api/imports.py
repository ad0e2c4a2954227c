"""``/imports``: upload a survey file, get the import report; download the rejected rows.

Uploads are kept in ``$CITYPILOT_HOME/web/imports/<id>/`` (with the rejects file) for a week, then
removed at a later upload. Only the uploader (or an admin) downloads the rejects.
"""

from __future__ import annotations

import re
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

from flask import current_app, request, send_file, url_for
from flask_babel import gettext as _
from werkzeug.utils import secure_filename
from werkzeug.wrappers import Response

from app.web.api import schemas as s
from app.web.api.blueprint import bp
from app.web.api.http import arg_flag, respond
from app.web.auth.guard import current_identity
from app.web.auth.roles import EDITORS, requires
from app.web.db import engine
from app.web.errors import ApiError
from app.web.openapi import Reply, operation
from assets.errors import FieldError, ValidationError
from assets.io import import_file
from assets.io.mapping import parse_assignment, parse_recode
from assets.kinds import spec_for
from gis.crs import parse_crs

ACCEPTED = (".geojson", ".json", ".gpkg", ".csv", ".txt", ".zip")
KEEP_S = 7 * 24 * 3600
_ID = re.compile(r"^[0-9a-f]{32}$")
_OWNER = "owner"
_REJECTS = "rejects.csv"


def imports_dir() -> Path:
    return Path(current_app.config["CITYPILOT_HOME"]) / "web" / "imports"


def _prune(root: Path) -> None:
    """Remove uploads older than a week."""
    if not root.exists():
        return
    limit = time.time() - KEEP_S
    for folder in root.iterdir():
        if folder.is_dir() and folder.stat().st_mtime < limit:
            shutil.rmtree(folder, ignore_errors=True)


def _upload() -> tuple[Any, str]:
    if not request.mimetype.startswith("multipart/form-data"):
        raise ApiError(415, _("Upload the file as multipart/form-data (fields: file, kind, options)."))
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationError(FieldError("file", "missing: attach the survey file as the `file` field"))
    name = secure_filename(upload.filename) or "upload"
    suffix = Path(name).suffix.lower()
    if suffix not in ACCEPTED:
        hint = " (zip the .shp with its .shx, .dbf and .prj)" if suffix in (".shp", ".shx", ".dbf", ".prj") else ""
        raise ApiError(
            415,
            _("Unknown file type %(suffix)s%(hint)s: send one of %(accepted)s.",
              suffix=suffix or "(none)", hint=hint, accepted=", ".join(ACCEPTED)),
            fields=[{"field": "file", "reason": f"unknown file type {suffix or '(none)'}"}],
        )
    return upload, name


@bp.post("/imports", endpoint="import_file")
@requires(*EDITORS)
@operation(
    "Import a survey file as assets of one kind; get the report",
    tags=["import and export"],
    description="The same import as `citypilot import`: columns matched by name or `map`, every row imported, "
                "rejected with its reason, or set aside as a probable duplicate. The rejected rows are at "
                "`rejects_url` (CSV, fixable and importable again).",
    body=s.IMPORT_FORM,
    body_type="multipart/form-data",
    responses={200: Reply(s.IMPORT_REPORT, "The import report")},
)
def import_route() -> Response:
    upload, name = _upload()
    kind = (request.form.get("kind") or "").strip()
    if not kind:
        raise ValidationError(FieldError("kind", "missing: the asset kind of every row"))
    spec_for(kind)
    crs = request.form.get("crs") or None
    if crs:
        parse_crs(crs)  # a CRS that cannot be read is named as such (422, field crs)
    mapping = [parse_assignment(m, "map") for m in request.form.getlist("map")]
    defaults = dict(parse_assignment(d, "default") for d in request.form.getlist("default"))
    recode = parse_recode(request.form.getlist("recode"))
    root = imports_dir()
    _prune(root)
    import_id = uuid.uuid4().hex
    folder = root / import_id
    folder.mkdir(parents=True)
    (folder / _OWNER).write_text(str(current_identity().user_id))
    path = folder / name
    upload.save(path)
    report = import_file(
        engine(), path, kind, current_identity().user_id, crs=crs,
        layer=request.form.get("layer") or None, mapping=mapping, defaults=defaults, recode=recode,
        rejects_path=folder / _REJECTS, dry_run=arg_flag("dry_run"),
        code_template=request.form.get("code_template") or None,
    )
    body = report.as_dict()
    body.pop("path")
    body.pop("rejects_path")
    rejects_url = url_for("api.import_rejects", import_id=import_id) if report.rejects_path else None
    return respond({"import_id": import_id, "file": name, **body, "rejects_url": rejects_url})


@bp.get("/imports/<import_id>/rejects")
@requires(*EDITORS)
@operation(
    "The rejected rows of an import, with their reasons (CSV)",
    tags=["import and export"],
    responses={200: Reply(None, "The rejects file", content_type="text/csv")},
)
def import_rejects(import_id: str) -> Response:
    folder = imports_dir() / import_id
    owner = (folder / _OWNER).read_text().strip() if _ID.match(import_id) and (folder / _OWNER).exists() else None
    who = current_identity()
    if owner is None or not (folder / _REJECTS).exists() or (owner != str(who.user_id) and who.role != "admin"):
        raise ApiError(404, _("No rejects for this import."))
    return send_file(folder / _REJECTS, mimetype="text/csv", as_attachment=True,
                     download_name=f"{import_id}.rejects.csv")
