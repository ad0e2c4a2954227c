"""Every failure as a clear message: JSON on the API (never an HTML stack trace), a small page elsewhere.

API error bodies are ``{"error": <slug>, "message": <text>}`` plus, by case, ``fields`` (422: each
field and the reason), ``current_version`` and ``current`` (409), ``retry_after`` (429).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from assets.accounts import RateLimited
from assets.errors import CityPilotError, ConflictError, NotFoundError, PermissionDenied, ValidationError
from assets.io import ImportFileError
from gis.crs import CrsError

log = logging.getLogger(__name__)

SLUGS = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    406: "not_acceptable", 409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type",
    422: "validation", 428: "precondition_required", 429: "rate_limited", 500: "internal", 503: "unavailable",
}


class ApiError(Exception):
    """An HTTP failure with its message and extra members of the JSON body."""

    def __init__(
        self, status: int, message: str, *, error: str | None = None, headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error = error or SLUGS.get(status, "error")
        self.headers = headers or {}
        self.extra = extra


def is_api_request() -> bool:
    """Whether this request is for a machine (JSON errors) rather than a person (pages)."""
    return request.path.startswith(tuple(current_app.config["API_PREFIXES"]))


def _respond(err: ApiError) -> Response:
    if is_api_request():
        response = jsonify({"error": err.error, "message": err.message, **err.extra})
    else:
        html = render_template("error.html", status=err.status, message=err.message)
        response = current_app.response_class(html, mimetype="text/html")
    response.status_code = err.status
    response.headers.update(err.headers)
    return response


def _default_message(status: int) -> str:
    messages = {
        400: _("The request is malformed."),
        401: _("Sign in first: send a bearer token, or sign in on the login page."),
        403: _("Your role may not do this."),
        404: _("Nothing here: check the address."),
        405: _("This method is not allowed here."),
        413: _("The upload is too large."),
        415: _("This type of content is not accepted here."),
        429: _("Too many requests: try again later."),
        500: _("Internal error: it has been logged."),
    }
    return messages.get(status, _("The request failed."))


def _http(exc: HTTPException) -> Response:
    status = exc.code or 500
    described = exc.description if exc.description and exc.description != type(exc).description else None
    headers = {}
    if status == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
        headers["Allow"] = ", ".join(exc.valid_methods)
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="citypilot"'
    return _respond(ApiError(status, described or _default_message(status), headers=headers))


def _validation(exc: ValidationError) -> Response:
    fields = [{"field": e.field, "reason": e.reason} for e in exc.errors]
    return _respond(ApiError(422, _("Invalid input: %(details)s", details=str(exc)), fields=fields))


def _import_file(exc: ImportFileError) -> Response:
    return _respond(ApiError(422, str(exc), fields=[{"field": "file", "reason": str(exc)}]))


def _crs(exc: CrsError) -> Response:
    return _respond(ApiError(422, str(exc), fields=[{"field": "crs", "reason": str(exc)}]))


def _conflict(exc: ConflictError) -> Response:
    return _respond(ApiError(409, str(exc), current_version=exc.current_version))


def _rate_limited(exc: RateLimited) -> Response:
    return _respond(
        ApiError(
            429, _("Too many failed sign-ins: try again in %(seconds)s s.", seconds=exc.retry_after),
            headers={"Retry-After": str(exc.retry_after)}, retry_after=exc.retry_after,
        )
    )


def _unexpected(exc: Exception) -> Response:
    if isinstance(exc, HTTPException):
        return _http(exc)
    log.exception("unhandled error on %s %s", request.method, request.path)
    return _respond(ApiError(500, _default_message(500)))


def init_app(app: Flask) -> None:
    """Register the handlers: domain errors by type, HTTP errors, and anything unexpected."""
    app.register_error_handler(ApiError, _respond)
    app.register_error_handler(HTTPException, _http)
    app.register_error_handler(ValidationError, _validation)
    app.register_error_handler(ImportFileError, _import_file)
    app.register_error_handler(CrsError, _crs)
    app.register_error_handler(ConflictError, _conflict)
    app.register_error_handler(RateLimited, _rate_limited)
    app.register_error_handler(NotFoundError, lambda exc: _respond(ApiError(404, str(exc))))
    app.register_error_handler(PermissionDenied, lambda exc: _respond(ApiError(403, str(exc))))
    app.register_error_handler(CityPilotError, lambda exc: _respond(ApiError(400, str(exc))))
    app.register_error_handler(Exception, _unexpected)
