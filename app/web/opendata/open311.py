"""Open311 GeoReport v2 at ``/open311/v2``: services, service requests (post, query, follow), JSON and XML.

Thin: the rules are in :mod:`assets.reports`. Reading is open to anyone; posting needs a registered
app's ``api_key`` (``citypilot open311 register NAME``) and is rate-limited per key. The
``jurisdiction_id``, when given, must be this city's (``OPEN311_JURISDICTION``). Names and notices in
French or English (``locale`` parameter, else the browser's language). Errors are the standard's
list of ``{code, description}``.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import xml.etree.ElementTree as ET
from collections import deque
from typing import Any

from flask import Blueprint, Response, current_app, request

from app.web.auth.guard import keyed
from app.web.auth.roles import ANYONE, requires
from app.web.db import work
from assets.errors import NotFoundError, PermissionDenied, ValidationError
from assets.reports.intake import client_of, find_reports, report, submit
from assets.reports.services import SERVICES, service
from fieldservice.from_reports import order_for_report

open311_blueprint = Blueprint("open311", __name__, url_prefix="/open311/v2")
FORMATS = ("json", "xml")
AGENCY = "Dijon métropole"


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status, self.description = status, description


def _fmt(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Open311Error(404, f"format: {fmt!r} is not one of json, xml")
    return fmt


def _answer(items: list[dict[str, Any]], fmt: str, root: str, item: str, status: int = 200) -> Response:
    if fmt == "xml":
        top = ET.Element(root)
        for entry in items:
            node = ET.SubElement(top, item)
            for key, value in entry.items():
                child = ET.SubElement(node, key)
                if isinstance(value, list):
                    for word in value:
                        ET.SubElement(child, "keyword").text = str(word)
                elif value is not None:
                    child.text = str(value).lower() if isinstance(value, bool) else str(value)
        body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")
        return current_app.response_class(body, status=status, mimetype="text/xml")
    return current_app.response_class(current_app.json.dumps(items), status=status, mimetype="application/json")


def _error(err: Open311Error) -> Response:
    fmt = "xml" if request.path.endswith(".xml") else "json"
    return _answer([{"code": err.status, "description": err.description}], fmt, "errors", "error", err.status)


open311_blueprint.register_error_handler(Open311Error, _error)
open311_blueprint.register_error_handler(ValidationError, lambda e: _error(Open311Error(400, str(e))))
open311_blueprint.register_error_handler(NotFoundError, lambda e: _error(Open311Error(404, str(e))))
open311_blueprint.register_error_handler(PermissionDenied, lambda e: _error(Open311Error(403, str(e))))


def _french() -> bool:
    wanted = (request.values.get("locale") or "").lower()
    if wanted:
        return wanted.startswith("fr")
    return (request.accept_languages.best_match(["en", "fr"]) or "en") == "fr"


def _jurisdiction() -> None:
    given = request.values.get("jurisdiction_id")
    expected = current_app.config.get("OPEN311_JURISDICTION", "dijon-metropole.fr")
    if given and given != expected:
        raise Open311Error(404, f"jurisdiction_id: {given!r} is not served here (this is {expected!r})")


def _service_json(found: Any) -> dict[str, Any]:
    french = _french()
    return {
        "service_code": found.code, "service_name": found.name_fr if french else found.name_en,
        "description": found.name_fr if french else found.name_en, "metadata": False, "type": "realtime",
        "keywords": list(found.keywords), "group": found.group,
    }


@open311_blueprint.get("/services.<fmt>")
@requires(ANYONE)
def services(fmt: str) -> Response:
    _jurisdiction()
    return _answer([_service_json(s) for s in SERVICES], _fmt(fmt), "services", "service")


@open311_blueprint.get("/services/<code>.<fmt>")
@requires(ANYONE)
def service_definition(code: str, fmt: str) -> Response:
    _jurisdiction()
    try:
        service(code)
    except ValidationError as exc:
        raise Open311Error(404, str(exc)) from None
    return _answer([{"service_code": code, "attributes": []}], _fmt(fmt), "service_definitions", "service_definition")


def _request_json(row: dict[str, Any]) -> dict[str, Any]:
    found = service(row["service_code"])
    french = _french()
    notes = row["status_notes"]
    if row["duplicate_of"]:
        notes = (notes or "") + (f" Même demande que {row['duplicate_of']}." if french
                                 else f" Same as request {row['duplicate_of']}.")
    return {
        "service_request_id": str(row["id"]), "status": row["status"], "status_notes": (notes or "").strip() or None,
        "service_name": found.name_fr if french else found.name_en, "service_code": found.code,
        "description": row["description"], "agency_responsible": AGENCY, "service_notice": None,
        "requested_datetime": _w3(row["requested_at"]), "updated_datetime": _w3(row["updated_at"]),
        "expected_datetime": None, "address": row["address"] or (row["asset_code"] and f"{row['asset_code']}"),
        "address_id": row["asset_code"], "zipcode": None, "lat": row["lat"], "long": row["lon"],
        "media_url": row["media_url"],
    }


def _w3(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z") if value else None


def _time(name: str) -> dt.datetime | None:
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(400, f"{name}: {raw[:30]!r} is not a w3 date-time such as 2026-01-01T00:00:00Z") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _list(name: str) -> list[str]:
    return [v.strip() for v in (request.args.get(name) or "").split(",") if v.strip()]


@open311_blueprint.get("/requests.<fmt>")
@requires(ANYONE)
def list_requests(fmt: str) -> Response:
    _jurisdiction()
    fmt = _fmt(fmt)
    ids = _list("service_request_id")
    if any(not i.isdigit() for i in ids):
        raise Open311Error(400, "service_request_id: expected numbers separated by commas")
    with work() as session:
        rows = find_reports(session, ids=[int(i) for i in ids], service_codes=_list("service_code"),
                            statuses=_list("status"), start=_time("start_date"), end=_time("end_date"))
        items = [_request_json(r) for r in rows]
    return _answer(items, fmt, "service_requests", "request")


@open311_blueprint.get("/requests/<request_id>.<fmt>")
@requires(ANYONE)
def one_request(request_id: str, fmt: str) -> Response:
    _jurisdiction()
    fmt = _fmt(fmt)
    if not request_id.isdigit():
        raise Open311Error(404, f"no service request {request_id!r}")
    with work() as session:
        item = _request_json(report(session, int(request_id)))
    return _answer([item], fmt, "service_requests", "request")


class _Limiter:
    """At most ``rate`` posts per minute per key, per app in this process (each worker counts its own)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: dict[int, deque[float]] = {}

    def check(self, client: int, rate: int) -> None:
        now = time.monotonic()
        with self.lock:
            times = self.seen.setdefault(client, deque())
            while times and now - times[0] > 60:
                times.popleft()
            if len(times) >= rate:
                raise Open311Error(429, f"too many requests: at most {rate} a minute per api_key")
            times.append(now)


@open311_blueprint.post("/requests.<fmt>")
@requires(ANYONE)
@keyed
def post_request(fmt: str) -> Response:
    _jurisdiction()
    fmt = _fmt(fmt)
    form = request.form
    with work() as session:
        client = client_of(session, form.get("api_key"))
        limiter = current_app.extensions.setdefault("citypilot_open311_limiter", _Limiter())
        limiter.check(client, int(current_app.config.get("OPEN311_RATE_PER_MINUTE", 30)))
        done = submit(
            session, client, form.get("service_code") or "", lat=form.get("lat"), lon=form.get("long"),
            description=form.get("description"), address=form.get("address_string"), media_url=form.get("media_url"),
            email=form.get("email"), first_name=form.get("first_name"), last_name=form.get("last_name"),
            phone=form.get("phone"), lang="fr" if _french() else "en",
        )
        order_for_report(session, done.id)  # one work order per fault: made, or joined
    item = {"service_request_id": str(done.id), "service_notice": done.notice_fr if _french() else done.notice_en,
            "account_id": None}
    return _answer([item], fmt, "service_requests", "request", 201)
