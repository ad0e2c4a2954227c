"""The OpenAPI 3.0 definition of ``/ogc`` (OGC API – Features Part 1 and 2), built from the collections."""

from __future__ import annotations

from typing import Any

from assets.opendata import CRS84, CRS_LIST, DEFAULT_LIMIT, MAX_LIMIT

_F = {"name": "f", "in": "query", "required": False, "schema": {"type": "string", "enum": ["json", "html"]},
      "description": "the format (default: from the Accept header, else JSON)"}
_PARAMS: dict[str, dict[str, Any]] = {
    "limit": {"name": "limit", "in": "query", "required": False, "style": "form", "explode": False,
              "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
              "description": "the number of features in a page"},
    "offset": {"name": "offset", "in": "query", "required": False,
               "schema": {"type": "integer", "minimum": 0, "default": 0}, "description": "features to skip"},
    "bbox": {"name": "bbox", "in": "query", "required": False, "style": "form", "explode": False,
             "schema": {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
             "description": "min x, min y, max x, max y (in bbox-crs, CRS84 by default)"},
    "bbox-crs": {"name": "bbox-crs", "in": "query", "required": False,
                 "schema": {"type": "string", "format": "uri", "enum": list(CRS_LIST), "default": CRS84}},
    "crs": {"name": "crs", "in": "query", "required": False,
            "schema": {"type": "string", "format": "uri", "enum": list(CRS_LIST), "default": CRS84}},
    "datetime": {"name": "datetime", "in": "query", "required": False, "style": "form", "explode": False,
                 "schema": {"type": "string"},
                 "description": "an instant or an interval (RFC 3339, '..' for an open end) of the last change"},
    "properties": {"name": "properties", "in": "query", "required": False, "style": "form", "explode": False,
                   "schema": {"type": "array", "items": {"type": "string"}},
                   "description": "the properties to return, comma-separated"},
}
_EXCEPTION = {"type": "object", "required": ["code"],
              "properties": {"code": {"type": "string"}, "description": {"type": "string"}}}


def _reply(description: str, media: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"description": description, "content": {media: {"schema": schema or {"type": "object"}},
                                                     "text/html": {"schema": {"type": "string"}}}}


def _errors() -> dict[str, Any]:
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/exception"}}}}
    return {"400": {"description": "a parameter cannot be used", **error},
            "404": {"description": "no such resource", **error},
            "500": {"description": "a server error", **error}}


def openapi_document(base_url: str, collection_ids: list[str]) -> dict[str, Any]:
    """The definition, with ``base_url`` (``https://host/ogc``) as its server."""
    paths: dict[str, Any] = {
        "/": {"get": {"operationId": "getLandingPage", "summary": "the landing page", "tags": ["capabilities"],
                      "parameters": [_F], "responses": {"200": _reply("the landing page", "application/json"),
                                                        **_errors()}}},
        "/conformance": {"get": {"operationId": "getConformance", "summary": "the conformance classes",
                                 "tags": ["capabilities"], "parameters": [_F],
                                 "responses": {"200": _reply("the classes", "application/json"), **_errors()}}},
        "/api": {"get": {"operationId": "getApi", "summary": "this definition", "tags": ["capabilities"],
                         "responses": {"200": {"description": "the definition", "content": {
                             "application/vnd.oai.openapi+json;version=3.0": {"schema": {"type": "object"}}}}}}},
        "/collections": {"get": {"operationId": "getCollections", "summary": "the collections",
                                 "tags": ["capabilities"], "parameters": [_F],
                                 "responses": {"200": _reply("the collections", "application/json"), **_errors()}}},
    }
    for cid in collection_ids:
        paths[f"/collections/{cid}"] = {"get": {
            "operationId": f"describe_{cid}", "summary": f"the {cid} collection", "tags": [cid], "parameters": [_F],
            "responses": {"200": _reply("the collection", "application/json"), **_errors()}}}
        paths[f"/collections/{cid}/items"] = {"get": {
            "operationId": f"getFeatures_{cid}", "summary": f"the {cid} features", "tags": [cid],
            "parameters": [*_PARAMS.values(), _F],
            "responses": {"200": _reply("a page of features", "application/geo+json"), **_errors()}}}
        paths[f"/collections/{cid}/items/{{featureId}}"] = {"get": {
            "operationId": f"getFeature_{cid}", "summary": f"one {cid} feature", "tags": [cid],
            "parameters": [{"name": "featureId", "in": "path", "required": True, "schema": {"type": "string"}},
                           _PARAMS["crs"], _F],
            "responses": {"200": _reply("the feature", "application/geo+json"), **_errors()}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "CityPilot open data (OGC API – Features)", "version": "1.0.0",
                 "license": {"name": "Licence Ouverte 2.0", "url": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"}},
        "servers": [{"url": base_url}],
        "paths": paths,
        "components": {"schemas": {"exception": _EXCEPTION}},
    }
