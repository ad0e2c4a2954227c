"""Reading requests and writing responses for the API routes: bodies checked against the route's
documented schema, typed query parameters, page links. No rule of the city here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from flask import current_app, jsonify, request
from flask_babel import gettext as _
from jsonschema import Draft202012Validator
from werkzeug.wrappers import Response

from app.web.errors import ApiError
from app.web.openapi import operation_of
from assets.errors import FieldError, ValidationError
from assets.search import DEFAULT_LIMIT, MAX_LIMIT


def _field_of(error: Any) -> str:
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        path.append(missing)
    return ".".join(p for p in path if p) or "body"


def json_body(required: bool = True) -> dict[str, Any] | None:
    """The JSON object sent, checked against the route's documented request schema (422 naming fields)."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        if required:
            raise ValidationError(FieldError("body", "missing: send a JSON object"))
        return None
    if not request.is_json:
        raise ApiError(415, _("Send JSON (Content-Type: application/json)."))
    body = request.get_json(silent=True)
    if body is None:
        raise ApiError(400, _("The body is not valid JSON."))
    op = operation_of(current_app.view_functions.get(request.endpoint))
    if op is not None and op.body is not None and op.body_type == "application/json":
        errors = sorted(Draft202012Validator(op.body).iter_errors(body), key=lambda e: list(e.absolute_path))
        if errors:
            raise ValidationError([FieldError(_field_of(e), e.message) for e in errors])
    if not isinstance(body, dict):
        raise ValidationError(FieldError("body", "expected a JSON object"))
    return body


def arg_list(name: str) -> list[str]:
    """A query parameter given as ``a,b`` and/or repeated (``?kind=a&kind=b``)."""
    return [v.strip() for raw in request.args.getlist(name) for v in raw.split(",") if v.strip()]


def arg_int(name: str, default: int | None = None, *, low: int | None = None, high: int | None = None) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError(FieldError(name, f"expected a whole number, got {raw[:20]!r}")) from None
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValidationError(FieldError(name, f"must be between {low} and {high}"))
    return value


def arg_limit() -> int:
    return arg_int("limit", DEFAULT_LIMIT, low=1, high=MAX_LIMIT) or DEFAULT_LIMIT


def arg_cursor() -> int | None:
    """The opaque page cursor (``next`` link of the previous page)."""
    return arg_int("cursor", None, low=0)


def arg_bbox() -> list[float] | None:
    raw = request.args.get("bbox")
    if not raw:
        return None
    try:
        values = [float(v) for v in raw.split(",")]
    except ValueError:
        raise ValidationError(FieldError("bbox", "expected min lon,min lat,max lon,max lat (WGS84)")) from None
    if len(values) != 4:
        raise ValidationError(FieldError("bbox", "expected 4 numbers: min lon,min lat,max lon,max lat"))
    return values


def arg_time(name: str, default: dt.datetime | None = None) -> dt.datetime | None:
    """An ISO 8601 time (UTC when no offset is given)."""
    raw = request.args.get(name)
    if not raw:
        return default
    try:
        value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(FieldError(name, f"expected an ISO 8601 time, got {raw[:40]!r}")) from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def arg_flag(name: str) -> bool:
    raw = (request.args.get(name) or request.form.get(name) or "").strip().lower()
    return raw in ("1", "true", "yes", "on")


def page_url(cursor: int | None) -> str | None:
    """This request's URL for the page after ``cursor`` (None: no next page)."""
    if cursor is None:
        return None
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "cursor"]
    args.append(("cursor", str(cursor)))
    return f"{request.base_url}?{urlencode(args)}"


def page(items: list[Any], total: int, limit: int, next_cursor: int | None, **extra: Any) -> dict[str, Any]:
    """A page as every paginated route answers it."""
    return {"items": items, "total": total, "limit": limit, "next": page_url(next_cursor), **extra}


def wants_geojson() -> bool:
    """``?f=geojson``, or an Accept header preferring GeoJSON."""
    f = (request.args.get("f") or "").lower()
    if f:
        if f not in ("json", "geojson"):
            raise ValidationError(FieldError("f", f"{f!r} is not one of json, geojson"))
        return f == "geojson"
    best = request.accept_mimetypes.best_match(["application/json", "application/geo+json"])
    return best == "application/geo+json" and request.accept_mimetypes["application/geo+json"] > \
        request.accept_mimetypes["application/json"]


def respond(data: Any, status: int = 200, *, content_type: str | None = None,
            headers: Mapping[str, str] | None = None) -> Response:
    response = jsonify(data)
    response.status_code = status
    if content_type:
        response.mimetype = content_type
    if headers:
        response.headers.update(headers)
    return response
