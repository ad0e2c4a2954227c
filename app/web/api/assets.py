"""``/assets``: find (always paginated), read, create, update with the version, retire.

There is no DELETE: nothing is destroyed; ``POST /assets/{id}/retire`` sets the status to
``removed`` and keeps the asset and its history.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import request, url_for
from werkzeug.wrappers import Response

from app.web.api import schemas as s
from app.web.api.blueprint import bp
from app.web.api.geojson import asset_json, asset_values, feature, feature_collection
from app.web.api.http import (
    arg_bbox,
    arg_cursor,
    arg_limit,
    arg_list,
    json_body,
    page,
    page_url,
    respond,
    wants_geojson,
)
from app.web.auth.guard import current_identity
from app.web.auth.roles import EDITORS, SIGNED_IN, requires
from app.web.db import work
from app.web.errors import ApiError
from app.web.openapi import Param, Reply, operation
from assets.errors import ConflictError, FieldError, NotFoundError, ValidationError
from assets.privacy import may_read_kind, readable_kinds
from assets.search import MAX_LIMIT, AssetQuery, search_assets
from assets.store import create_asset, get_asset, retire_asset, update_asset

LIST_PARAMS = (
    Param("bbox", {"type": "string"}, "min lon,min lat,max lon,max lat (WGS84): assets intersecting the box"),
    Param("kind", {"type": "string"}, "asset kinds, comma-separated (see /kinds)"),
    Param("status", {"type": "string"}, "inventory statuses, comma-separated; default: all but removed"),
    Param("commune", {"type": "string"}, "communes by INSEE code or name, comma-separated"),
    Param("q", {"type": "string"}, "text in the code or the name (case-insensitive)"),
    Param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 50}, "page size"),
    Param("cursor", {"type": "string"}, "opaque: from the previous page's `next` link"),
    Param("f", {"enum": ["json", "geojson"]}, "geojson: a FeatureCollection (also with Accept: application/geo+json)"),
)


IF_MATCH = Param("If-Match", {"type": "string"}, 'the version edited, e.g. "3" (instead of `version` in the body)',
                 location="header")


def asset_query(limit: int | None = None) -> AssetQuery:
    """The filters and page of this request's query string."""
    return AssetQuery(
        kinds=arg_list("kind"), statuses=arg_list("status"), communes=arg_list("commune"), bbox=arg_bbox(),
        text=request.args.get("q"), after_id=arg_cursor(), limit=limit or arg_limit(),
    )


def readable(query: AssetQuery, role: str) -> AssetQuery:
    """``query`` narrowed to the kinds ``role`` may read (the public: open-data kinds)."""
    kinds = readable_kinds(role)
    return query if kinds is None else replace(query, within_kinds=kinds)


def _etag(version: int) -> dict[str, str]:
    return {"ETag": f'"{version}"'}


def _expected_version(body: dict[str, Any] | None, required: bool) -> int | None:
    """The version the client edited: ``version`` in the body, else ``If-Match``."""
    if body and body.get("version") is not None:
        return int(body["version"])
    header = request.headers.get("If-Match", "").strip()
    if header:
        try:
            return int(header.removeprefix("W/").strip('"'))
        except ValueError:
            reason = f"expected the asset's version, got {header[:20]!r}"
            raise ValidationError(FieldError("If-Match", reason)) from None
    if required:
        raise ValidationError(FieldError("version", "missing: send the version you edited (body or If-Match)"))
    return None


def _conflict(asset_id: int, exc: ConflictError) -> ApiError:
    with work() as session:
        current = feature(get_asset(session, asset_id), current_identity().role or "")
    return ApiError(409, str(exc), current_version=current["properties"]["version"], current=current)


@bp.get("/assets")
@requires(*SIGNED_IN)
@operation(
    "Find assets (always paginated)",
    tags=["assets"],
    description="Filters combine with AND; comma-separated values of one filter with OR. Ordered by id; follow "
                "`next` for the following page. The public does not see camera fields of view nor authors.",
    query=LIST_PARAMS,
    responses={
        200: Reply(s.ASSET_PAGE, "A page of assets", alternatives={"application/geo+json": s.FEATURE_COLLECTION})
    },
)
def list_assets() -> Response:
    role = current_identity().role or ""
    query = readable(asset_query(), role)
    geojson = wants_geojson()
    with work() as session:
        found = search_assets(session, query)
        if geojson:
            body = feature_collection([feature(a, role) for a in found.items], found.total, page_url(found.next_after))
        else:
            body = page([asset_json(a, role) for a in found.items], found.total, query.limit, found.next_after)
    return respond(body, content_type="application/geo+json" if geojson else None)


@bp.get("/assets/<int:asset_id>")
@requires(*SIGNED_IN)
@operation(
    "Read one asset as a GeoJSON Feature (WGS84)",
    tags=["assets"],
    responses={200: Reply(s.FEATURE, "The asset; its version is also the ETag", content_type="application/geo+json",
                          headers={"ETag": "the version, for If-Match"})},
)
def read_asset(asset_id: int) -> Response:
    role = current_identity().role or ""
    with work() as session:
        asset = get_asset(session, asset_id)
        if not may_read_kind(role, asset.kind):
            raise NotFoundError(f"no asset {asset_id}")
        body = feature(asset, role)
        version = asset.version
    return respond(body, content_type="application/geo+json", headers=_etag(version))


@bp.post("/assets", endpoint="create_asset")
@requires(*EDITORS)
@operation(
    "Create an asset from a GeoJSON Feature (WGS84)",
    tags=["assets"],
    description="The same rules as every client: a refused field is named with the reason (422).",
    body=s.CREATE_ASSET,
    responses={201: Reply(s.FEATURE, "The created asset", content_type="application/geo+json",
                          headers={"Location": "the asset's URL", "ETag": "its version"})},
)
def create_asset_route() -> Response:
    body = json_body() or {}
    properties = dict(body.get("properties") or {})
    kind = str(properties.pop("kind"))
    values = asset_values(body.get("geometry"), properties, has_geometry="geometry" in body)
    with work() as session:
        asset = create_asset(session, kind, values)
        created = feature(asset, current_identity().role or "")
    location = url_for("api.read_asset", asset_id=created["id"])
    return respond(created, 201, content_type="application/geo+json",
                   headers={"Location": location, **_etag(created["properties"]["version"])})


@bp.patch("/assets/<int:asset_id>", endpoint="update_asset")
@requires(*EDITORS)
@operation(
    "Change an asset, based on the version you edited",
    tags=["assets"],
    description="Send `version` in the body or `If-Match: \"<version>\"`. A stale version is refused with 409, "
                "the current version and the current asset: nothing is silently overwritten.",
    body=s.UPDATE_ASSET,
    query=(IF_MATCH,),
    errors=(409,),
    responses={200: Reply(s.FEATURE, "The asset as saved (new version)", content_type="application/geo+json")},
)
def update_asset_route(asset_id: int) -> Response:
    body = json_body() or {}
    version = _expected_version(body, required=True)
    values = asset_values(body.get("geometry"), dict(body.get("properties") or {}), has_geometry="geometry" in body)
    if not values:
        raise ValidationError(FieldError("properties", "nothing to change: send properties and/or geometry"))
    try:
        with work() as session:
            saved = feature(update_asset(session, asset_id, values, version or 0), current_identity().role or "")
    except ConflictError as exc:
        raise _conflict(asset_id, exc) from None
    return respond(saved, content_type="application/geo+json", headers=_etag(saved["properties"]["version"]))


@bp.post("/assets/<int:asset_id>/retire", endpoint="retire_asset")
@requires(*EDITORS)
@operation(
    "Retire an asset (status `removed`; it stays, with its history)",
    tags=["assets"],
    description="The version is optional here (body or If-Match); when sent, a stale one gets 409.",
    body=s.RETIRE_ASSET,
    body_required=False,
    query=(IF_MATCH,),
    errors=(409,),
    responses={200: Reply(s.FEATURE, "The retired asset", content_type="application/geo+json")},
)
def retire_asset_route(asset_id: int) -> Response:
    body = json_body(required=False)
    version = _expected_version(body, required=False)
    try:
        with work() as session:
            saved = feature(retire_asset(session, asset_id, version), current_identity().role or "")
    except ConflictError as exc:
        raise _conflict(asset_id, exc) from None
    return respond(saved, content_type="application/geo+json", headers=_etag(saved["properties"]["version"]))
