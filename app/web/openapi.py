"""The OpenAPI 3.1 document of ``/api/v1``, built from what each route declares next to itself.

A route says what it does with ``@operation(...)`` (summary, query parameters, request and response
JSON schemas); its path parameters come from the URL rule and its roles from ``@requires``. The
document has every schema inlined (no ``$ref``), so a client or a test validates a body against it
directly. Common failures (401, 403, 404, 422, 500) are added from the route's shape.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import Blueprint, Flask, current_app, jsonify
from werkzeug.routing import Rule

from app.web.auth.roles import ANYONE, declared_roles, requires

API_PREFIX = "/api/v1"
OPENAPI_VERSION = "3.1.0"
F = TypeVar("F", bound=Callable[..., Any])
_ATTRIBUTE = "__citypilot_openapi__"
_CONVERTERS = {"int": {"type": "integer"}, "float": {"type": "number"}}
_RULE_PARAM = re.compile(r"<(?:(?P<converter>[a-z]+)(?:\([^)]*\))?:)?(?P<name>\w+)>")

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string", "description": "a stable slug: validation, conflict, not_found..."},
        "message": {"type": "string", "description": "for a person, in the caller's language where possible"},
        "fields": {
            "type": "array",
            "description": "422: each invalid field and why",
            "items": {
                "type": "object", "required": ["field", "reason"],
                "properties": {"field": {"type": "string"}, "reason": {"type": "string"}},
            },
        },
        "current_version": {"type": ["integer", "null"], "description": "409: the version now stored"},
        "current": {"type": "object", "description": "409: the asset as now stored (GeoJSON Feature)"},
        "retry_after": {"type": "integer", "description": "429: seconds to wait"},
    },
}
ERROR_DESCRIPTIONS = {
    400: "Malformed request (e.g. a body that is not JSON)",
    401: "Not signed in: send `Authorization: Bearer <token>` or the session cookie",
    403: "Signed in, but the role may not do this (or a missing CSRF header with the session cookie)",
    404: "No such resource",
    409: "Conflict: the version sent is stale; the body holds the current version and the current asset",
    413: "Upload too large",
    415: "Unsupported content type",
    422: "Invalid input: `fields` names each field and the reason",
    429: "Too many requests: wait `Retry-After` seconds",
    500: "Internal error",
    503: "A service it needs (the database) is unreachable",
}


@dataclass(frozen=True)
class Param:
    """A query parameter (or, with ``location="header"``, a request header)."""

    name: str
    schema: Mapping[str, Any]
    description: str = ""
    required: bool = False
    explode: bool | None = None
    location: str = "query"


@dataclass(frozen=True)
class Reply:
    """A response: its schema (None: no JSON body), what it is, and its media type."""

    schema: Mapping[str, Any] | None
    description: str
    content_type: str = "application/json"
    alternatives: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Operation:
    """What a route declares for the document."""

    summary: str
    tags: tuple[str, ...]
    responses: Mapping[int, Reply]
    description: str = ""
    query: tuple[Param, ...] = ()
    body: Mapping[str, Any] | None = None
    body_type: str = "application/json"
    body_required: bool = True
    errors: tuple[int, ...] = ()


def operation(
    summary: str,
    *,
    tags: Sequence[str],
    responses: Mapping[int, Reply],
    description: str = "",
    query: Sequence[Param] = (),
    body: Mapping[str, Any] | None = None,
    body_type: str = "application/json",
    body_required: bool = True,
    errors: Sequence[int] = (),
) -> Callable[[F], F]:
    """Describe a route for the OpenAPI document (``errors``: failure statuses beyond the usual ones)."""
    op = Operation(summary, tuple(tags), dict(responses), description, tuple(query), body, body_type,
                   body_required, tuple(errors))

    def declare(view: F) -> F:
        setattr(view, _ATTRIBUTE, op)
        return view

    return declare


def operation_of(view: Callable[..., Any] | None) -> Operation | None:
    return getattr(view, _ATTRIBUTE, None)


def api_rules(app: Flask) -> list[Rule]:
    """The URL rules of the API, in a stable order."""
    return sorted(
        (r for r in app.url_map.iter_rules() if r.rule.startswith(API_PREFIX + "/") or r.rule == API_PREFIX),
        key=lambda r: r.rule,
    )


def undocumented_endpoints(app: Flask) -> list[str]:
    """API rules whose view has no ``@operation``."""
    return [f"{r.rule} ({r.endpoint})" for r in api_rules(app) if operation_of(app.view_functions[r.endpoint]) is None]


def openapi_path(rule: Rule) -> tuple[str, list[dict[str, Any]]]:
    """``/api/v1/assets/<int:asset_id>`` as ``/assets/{asset_id}`` and its path parameters."""
    params = []
    for match in _RULE_PARAM.finditer(rule.rule):
        schema = _CONVERTERS.get(match.group("converter") or "", {"type": "string"})
        params.append({"name": match.group("name"), "in": "path", "required": True, "schema": schema})
    path = _RULE_PARAM.sub(lambda m: "{" + m.group("name") + "}", rule.rule)
    return path.removeprefix(API_PREFIX) or "/", params


def _content(schema: Mapping[str, Any] | None, content_type: str) -> dict[str, Any]:
    return {content_type: {"schema": dict(schema)} if schema is not None else {}}


def _operation(rule: Rule, method: str, op: Operation, roles: frozenset[str]) -> dict[str, Any]:
    _, path_params = openapi_path(rule)
    open_to_all = ANYONE in roles
    roles_text = "anyone, signed in or not" if open_to_all else ", ".join(sorted(roles))
    doc: dict[str, Any] = {
        "operationId": rule.endpoint.split(".")[-1] + ("" if len(rule.methods - {"HEAD", "OPTIONS"}) == 1
                                                        else f"_{method.lower()}"),
        "summary": op.summary,
        "description": (op.description + "\n\n" if op.description else "") + f"Roles: {roles_text}.",
        "tags": list(op.tags),
        "x-roles": sorted(roles),
        "security": [] if open_to_all else [{"bearer": []}, {"session": []}],
    }
    params = list(path_params)
    for p in op.query:
        param: dict[str, Any] = {"name": p.name, "in": p.location, "required": p.required, "schema": dict(p.schema)}
        if p.description:
            param["description"] = p.description
        if p.explode is not None:
            param["explode"] = p.explode
        params.append(param)
    if params:
        doc["parameters"] = params
    if op.body is not None:
        doc["requestBody"] = {"required": op.body_required, "content": _content(op.body, op.body_type)}
    responses: dict[str, Any] = {}
    for status, reply in sorted(op.responses.items()):
        content = _content(reply.schema, reply.content_type) if reply.content_type else {}
        for media, schema in reply.alternatives.items():
            content[media] = {"schema": dict(schema)}
        entry: dict[str, Any] = {"description": reply.description}
        if content:
            entry["content"] = content
        if reply.headers:
            entry["headers"] = {h: {"description": d, "schema": {"type": "string"}} for h, d in reply.headers.items()}
        responses[str(status)] = entry
    failures = set(op.errors) | {500}
    if not open_to_all:
        failures |= {401, 403}
    if path_params:
        failures.add(404)
    if any(p.location == "query" for p in op.query) or op.body is not None:
        failures.add(422)
    if op.body is not None:
        failures |= {400, 415} if op.body_type == "application/json" else {413, 415}
    for status in sorted(failures):
        error = {"description": ERROR_DESCRIPTIONS[status], "content": _content(ERROR_SCHEMA, "application/json")}
        responses.setdefault(str(status), error)
    doc["responses"] = responses
    return doc


def build_document(app: Flask) -> dict[str, Any]:
    """The whole OpenAPI document of the app's API."""
    paths: dict[str, dict[str, Any]] = {}
    tags: dict[str, None] = {}
    for rule in api_rules(app):
        view = app.view_functions[rule.endpoint]
        op = operation_of(view)
        roles = declared_roles(view)
        if op is None or roles is None:
            continue
        path, _ = openapi_path(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(rule, method, op, roles)
        tags.update(dict.fromkeys(op.tags))
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "CityPilot API",
            "version": "1",
            "description": (
                "The inventory, live data and statistics of a connected city. Geometries are GeoJSON in WGS84 "
                "(lon, lat). Every write goes through the same rules as every other client and is audited. "
                "Authenticate with `Authorization: Bearer <token>` (`citypilot tokens create`) or with the "
                "session cookie of the web pages plus the `X-CSRF-Token` header on unsafe methods."
            ),
            "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
        },
        "servers": [{"url": API_PREFIX}],
        "tags": [{"name": t} for t in tags],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "an API token"},
                "session": {"type": "apiKey", "in": "cookie", "name": "citypilot_session",
                            "description": "the web session; unsafe methods also need the X-CSRF-Token header"},
            }
        },
    }


bp = Blueprint("openapi", __name__)


@bp.get(API_PREFIX + "/openapi.json")
@requires(ANYONE)
@operation(
    "This document: the API described in OpenAPI 3.1, every schema inlined",
    tags=["meta"],
    responses={200: Reply({"type": "object", "required": ["openapi", "paths"]}, "The OpenAPI document")},
)
def document() -> Any:
    doc = current_app.extensions.get("citypilot_openapi")
    if doc is None:
        doc = current_app.extensions["citypilot_openapi"] = build_document(current_app)
    return jsonify(doc)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


def check_documented(app: Flask) -> None:
    """Refuse to build an app with an API route missing from the document."""
    missing = undocumented_endpoints(app)
    if missing:
        raise RuntimeError("API routes without @operation(...): " + ", ".join(missing))
