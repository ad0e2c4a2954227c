"""OGC API – Features (Part 1 Core, GeoJSON, HTML, OpenAPI 3.0; Part 2 CRS) at ``/ogc``.

Every route is open (``ANYONE``): what it shows is the open-data policy of :mod:`assets.privacy`.
JSON by default, HTML for browsers (``Accept: text/html`` or ``?f=html``). Errors follow the
standard's exception shape ``{"code", "description"}``: 400 for a parameter that cannot be used
(naming it), 404 for an unknown collection or feature.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from app.web.auth.roles import ANYONE, requires
from app.web.db import engine
from app.web.opendata.ogc_openapi import openapi_document
from assets.errors import NotFoundError, ValidationError
from assets.opendata import (
    CRS84,
    CRS_LIST,
    DEFAULT_LIMIT,
    Collection,
    FeatureQuery,
    collection,
    collections,
    extent,
    feature_json,
    feature_page,
    queryables,
)

ogc_blueprint = Blueprint("ogc", __name__, url_prefix="/ogc", template_folder="templates")

GEOJSON = "application/geo+json"
JSON = "application/json"
HTML = "text/html"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
]
ITEM_PARAMS = ("f", "limit", "offset", "bbox", "bbox-crs", "crs", "datetime", "properties", "lang")
LICENCE = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"


class OgcError(Exception):
    """A failure answered in the standard's exception shape."""

    def __init__(self, status: int, code: str, description: str) -> None:
        super().__init__(description)
        self.status, self.code, self.description = status, code, description


@ogc_blueprint.errorhandler(OgcError)
def _ogc_error(err: OgcError) -> Response:
    return _json({"code": err.code, "description": err.description}, JSON, err.status)


@ogc_blueprint.errorhandler(ValidationError)
def _invalid(err: ValidationError) -> Response:
    return _ogc_error(OgcError(400, "InvalidParameterValue", str(err)))


@ogc_blueprint.errorhandler(NotFoundError)
def _not_found(err: NotFoundError) -> Response:
    return _ogc_error(OgcError(404, "NotFound", str(err)))


def _fibre_open() -> bool:
    return bool(current_app.config.get("OPEN_DATA_FIBRE", False))


def _json(data: Any, mimetype: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    response = current_app.response_class(body, status=status, mimetype=mimetype)
    response.headers.update(headers or {})
    return response


def _wants_html() -> bool:
    f = (request.args.get("f") or "").lower()
    if f:
        if f not in ("json", "html", "geojson"):
            raise OgcError(400, "InvalidParameterValue", f"f: {f!r} is not one of json, geojson, html")
        return f == "html"
    best = request.accept_mimetypes.best_match([JSON, GEOJSON, HTML])
    return best == HTML and request.accept_mimetypes[HTML] > request.accept_mimetypes[JSON]


def _url(endpoint: str, f: str | None = None, **values: Any) -> str:
    return url_for(endpoint, _external=True, **values, **({"f": f} if f else {}))


def _links(endpoint: str, json_type: str, title: str, **values: Any) -> list[dict[str, str]]:
    """self and alternate links of a resource in JSON and HTML."""
    html = _wants_html()
    return [
        {"href": _url(endpoint, "json", **values), "rel": "alternate" if html else "self", "type": json_type,
         "title": f"{title} (JSON)"},
        {"href": _url(endpoint, "html", **values), "rel": "self" if html else "alternate", "type": HTML,
         "title": f"{title} (HTML)"},
    ]


def _page(template: str, **context: Any) -> Response:
    return current_app.response_class(render_template(f"opendata/{template}", **context), mimetype=HTML)


@ogc_blueprint.get("")
@ogc_blueprint.get("/")
@requires(ANYONE)
def landing() -> Response:
    title = _("CityPilot open data — Dijon métropole")
    links = [
        *_links("ogc.landing", JSON, _("this document")),
        {"href": _url("ogc.api"), "rel": "service-desc", "type": OPENAPI, "title": _("the API definition")},
        {"href": _url("ogc.api", "html"), "rel": "service-doc", "type": HTML, "title": _("the API documentation")},
        {"href": _url("ogc.conformance"), "rel": "conformance", "type": JSON, "title": _("conformance classes")},
        {"href": _url("ogc.collections_list"), "rel": "data", "type": JSON, "title": _("the collections")},
        {"href": LICENCE, "rel": "license", "type": HTML, "title": "Licence Ouverte 2.0 (Etalab)"},
    ]
    body = {"title": title, "description": _("The public inventory of the connected city's equipment, "
                                             "as OGC API – Features."), "links": links}
    if _wants_html():
        return _page("ogc_landing.html", doc=body)
    return _json(body, JSON)


@ogc_blueprint.get("/conformance")
@requires(ANYONE)
def conformance() -> Response:
    body = {"conformsTo": CONFORMANCE}
    if _wants_html():
        return _page("ogc_conformance.html", doc=body)
    return _json(body, JSON)


@ogc_blueprint.get("/api")
@requires(ANYONE)
def api() -> Response:
    document = openapi_document(_url("ogc.landing").rstrip("/"), [c.id for c in collections(_fibre_open())])
    if (request.args.get("f") or "").lower() == "html":
        return _page("ogc_api.html", doc=document, pretty=json.dumps(document, indent=2, ensure_ascii=False))
    return _json(document, OPENAPI)


def _collection_json(conn: Any, found: Collection) -> dict[str, Any]:
    french = str(get_locale() or "en").startswith("fr")
    return {
        "id": found.id,
        "title": found.title_fr if french else found.title_en,
        "description": _("%(kind)s of the metropole (%(types)s)", kind=found.title_fr if french else found.title_en,
                         types=", ".join(found.geometry_types)),
        "itemType": "feature",
        "crs": list(CRS_LIST),
        "storageCrs": "http://www.opengis.net/def/crs/EPSG/0/2154",
        "extent": extent(conn, found.id),
        "links": [
            *_links("ogc.one_collection", JSON, found.id, collection_id=found.id),
            {"href": _url("ogc.items", "json", collection_id=found.id), "rel": "items", "type": GEOJSON,
             "title": _("the features (GeoJSON)")},
            {"href": _url("ogc.items", "html", collection_id=found.id), "rel": "items", "type": HTML,
             "title": _("the features (HTML)")},
            {"href": LICENCE, "rel": "license", "type": HTML, "title": "Licence Ouverte 2.0 (Etalab)"},
        ],
    }


@ogc_blueprint.get("/collections")
@requires(ANYONE)
def collections_list() -> Response:
    with engine().connect() as conn:
        items = [_collection_json(conn, c) for c in collections(_fibre_open())]
    body = {"links": _links("ogc.collections_list", JSON, _("the collections")), "collections": items,
            "crs": list(CRS_LIST)}
    if _wants_html():
        return _page("ogc_collections.html", doc=body)
    return _json(body, JSON)


@ogc_blueprint.get("/collections/<collection_id>")
@requires(ANYONE)
def one_collection(collection_id: str) -> Response:
    found = collection(collection_id, _fibre_open())
    with engine().connect() as conn:
        body = _collection_json(conn, found)
    if _wants_html():
        return _page("ogc_collection.html", doc=body, queryables=queryables(found))
    return _json(body, JSON)


def _floats(name: str, raw: str) -> list[float]:
    try:
        return [float(v) for v in raw.split(",")]
    except ValueError:
        raise OgcError(400, "InvalidParameterValue", f"{name}: expected numbers separated by commas") from None


def _int(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise OgcError(400, "InvalidParameterValue", f"{name}: {raw[:20]!r} is not an integer") from None


def _instant(raw: str) -> dt.datetime | None:
    if raw in ("", ".."):
        return None
    try:
        value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise OgcError(400, "InvalidParameterValue", f"datetime: {raw[:40]!r} is not an RFC 3339 time") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _datetime() -> tuple[dt.datetime | None, dt.datetime | None] | None:
    raw = request.args.get("datetime")
    if not raw:
        return None
    if "/" in raw:
        start, _sep, end = raw.partition("/")
        return _instant(start), _instant(end)
    if "T" not in raw:  # a date: the whole day
        day = _instant(raw)
        return day, day + dt.timedelta(days=1) - dt.timedelta(microseconds=1) if day else None
    moment = _instant(raw)
    return moment, moment


def _query(found: Collection) -> FeatureQuery:
    filters = {k: v for k, v in request.args.items() if k not in ITEM_PARAMS}
    unknown = [k for k in filters if k not in queryables(found)]
    if unknown:
        raise OgcError(400, "InvalidParameterValue", f"{unknown[0]}: not a parameter of this collection "
                       f"(parameters: {', '.join(ITEM_PARAMS)}; properties: {', '.join(queryables(found))})")
    bbox = request.args.get("bbox")
    properties = request.args.get("properties")
    values = _floats("bbox", bbox) if bbox else None
    if values is not None and len(values) == 6:  # 3D box: the vertical extent is not used
        values = [values[0], values[1], values[3], values[4]]
    return FeatureQuery(
        found.id, bbox=values, bbox_crs=request.args.get("bbox-crs") or CRS84, crs=request.args.get("crs") or CRS84,
        datetime=_datetime(), filters=filters,
        properties=[p.strip() for p in properties.split(",") if p.strip()] if properties is not None else None,
        limit=_int("limit", DEFAULT_LIMIT), offset=_int("offset", 0),
    )


def _page_link(found: Collection, offset: int, rel: str, fmt: str) -> dict[str, str]:
    args = [(k, v) for k, v in request.args.items(multi=True) if k not in ("offset", "f")]
    args += [("offset", str(offset)), ("f", fmt)]
    href = f"{_url('ogc.items', collection_id=found.id)}?{urlencode(args)}"
    return {"href": href, "rel": rel, "type": GEOJSON if fmt == "json" else HTML}


@ogc_blueprint.get("/collections/<collection_id>/items")
@requires(ANYONE)
def items(collection_id: str) -> Response:
    found = collection(collection_id, _fibre_open())
    query = _query(found)
    html = _wants_html()
    with engine().connect() as conn:
        page = feature_page(conn, query, _fibre_open())
    fmt = "html" if html else "json"
    links = [_page_link(found, query.offset, "self", fmt), _page_link(found, query.offset, "alternate",
                                                                       "json" if html else "html")]
    if query.offset + page.returned < page.matched:
        links.append(_page_link(found, query.offset + query.limit, "next", fmt))
    if query.offset > 0:
        links.append(_page_link(found, max(0, query.offset - query.limit), "prev", fmt))
    links.append({"href": _url("ogc.one_collection", collection_id=found.id), "rel": "collection", "type": JSON})
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    headers = {"Content-Crs": f"<{query.crs}>"}
    if html:
        features = json.loads(f"[{page.features_json}]")
        return _page("ogc_items.html", collection=found, features=features, matched=page.matched, links=links,
                     query=query)
    head = json.dumps({"type": "FeatureCollection", "numberMatched": page.matched, "numberReturned": page.returned,
                       "timeStamp": stamp, "links": links}, ensure_ascii=False, separators=(",", ":"))
    return _json(f'{head[:-1]},"features":[{page.features_json}]}}', GEOJSON, headers=headers)


@ogc_blueprint.get("/collections/<collection_id>/items/<feature_id>")
@requires(ANYONE)
def one_item(collection_id: str, feature_id: str) -> Response:
    found = collection(collection_id, _fibre_open())
    if not feature_id.isdigit():
        raise OgcError(404, "NotFound", f"no feature {feature_id!r} in {collection_id}")
    crs = request.args.get("crs") or CRS84
    with engine().connect() as conn:
        body = feature_json(conn, found.id, int(feature_id), crs, _fibre_open())
    links = [
        *_links("ogc.one_item", GEOJSON, feature_id, collection_id=found.id, feature_id=feature_id),
        {"href": _url("ogc.one_collection", collection_id=found.id), "rel": "collection", "type": JSON},
    ]
    if _wants_html():
        return _page("ogc_item.html", collection=found, feature=json.loads(body), links=links)
    return _json(f'{body[:-1]},"links":{json.dumps(links)}}}', GEOJSON, headers={"Content-Crs": f"<{crs}>"})
