"""``/open-data``: the catalogue page (FR/EN, a map preview), the downloads, CSVW and DCAT-AP metadata.

Thin: the files and their metadata come from :mod:`assets.open_downloads`. Every route is open.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, request, send_file, url_for
from flask_babel import gettext as _

from app.web.auth.roles import ANYONE, requires
from app.web.db import engine
from assets.open_downloads import (
    FORMATS,
    LICENCE_NAME,
    LICENCE_URL,
    csvw_metadata,
    datasets,
    dcat_catalogue,
    ensure_file,
)
from assets.opendata import collection

downloads_blueprint = Blueprint("opendata", __name__, url_prefix="/open-data", template_folder="templates")


def _folder() -> Path:
    return current_app.config["CITYPILOT_HOME"] / "opendata"


def _fibre() -> bool:
    return bool(current_app.config.get("OPEN_DATA_FIBRE", False))


def _base() -> str:
    return request.url_root.rstrip("/")


@downloads_blueprint.get("")
@requires(ANYONE)
def catalogue() -> Response:
    items = datasets(engine(), _folder(), _fibre())
    html = render_template("opendata/catalogue.html", items=items, formats=FORMATS, licence_name=LICENCE_NAME,
                           licence_url=LICENCE_URL)
    return current_app.response_class(html, mimetype="text/html")


@downloads_blueprint.get("/catalog.jsonld")
@requires(ANYONE)
def dcat() -> Response:
    body = dcat_catalogue(datasets(engine(), _folder(), _fibre()), _base(), _("CityPilot open data — Dijon métropole"))
    return current_app.response_class(current_app.json.dumps(body), mimetype="application/ld+json")


@downloads_blueprint.get("/<collection_id>.csv-metadata.json")
@requires(ANYONE)
def csvw(collection_id: str) -> Response:
    found = collection(collection_id, _fibre())
    body = csvw_metadata(found, url_for("opendata.download", collection_id=found.id, ext="csv", _external=True))
    return current_app.response_class(current_app.json.dumps(body), mimetype="application/csvm+json")


@downloads_blueprint.get("/<collection_id>.<ext>")
@requires(ANYONE)
def download(collection_id: str, ext: str) -> Response:
    path = ensure_file(engine(), _folder(), collection_id, ext, _fibre())
    response = send_file(path, mimetype=FORMATS[ext][0], as_attachment=True, download_name=path.name,
                         conditional=True, max_age=60)
    links = [f'<{LICENCE_URL}>; rel="license"']
    if ext == "csv":
        links.append(f'<{url_for("opendata.csvw", collection_id=collection_id)}>; rel="describedby"; '
                     'type="application/csvm+json"')
    response.headers["Link"] = ", ".join(links)
    return response
