"""``/work-orders/<id>/work``, checklist, labour, parts, notes, attachments: the proof of an intervention,
written by the crew on site (the tablet, online or replaying its queue) and read by whoever sees the order.

Every write takes an optional ``client_id``: the server applies an (order, client id) once and answers every
replay with the first answer and ``"replayed": true`` (:mod:`fieldservice.replay`). With a client id, an
action that no longer applies (the order was reassigned, cancelled or moved on) answers 409 with the order's
``state`` and ``crew_id``, so the tablet can show the crew what happened.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from flask import current_app, request, send_file
from flask_babel import get_locale
from shapely.geometry import Point
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from app.web.api import schemas as s
from app.web.api.blueprint import bp
from app.web.api.http import json_body, respond
from app.web.api.once import CLIENT_ID, once
from app.web.api.work_orders import LONLAT, MOVERS, _storage
from app.web.auth.guard import current_identity
from app.web.auth.roles import CONTROL_ROOM, STAFF, requires
from app.web.db import work
from app.web.openapi import Reply, operation
from assets.errors import FieldError, ValidationError
from fieldservice import access, attachments, worklog
from fieldservice.proof_map import proof_map

TAGS = ["work orders"]
_WHO = s.nullable(s.STRING)
WORK_RECORD = s.obj({
    "order_id": s.INTEGER, "state": s.STRING, "version": s.INTEGER, "crew_id": s.nullable(s.INTEGER),
    "allowed": s.array(s.STRING),
    "checklist": s.array(s.obj({"key": s.STRING, "label": s.STRING, "required": s.BOOLEAN, "done": s.BOOLEAN,
                                "note": s.nullable(s.STRING), "done_by": _WHO, "done_at": s.nullable(s.TIME)},
                               ("key", "label", "required", "done"))),
    "labour": s.array(s.obj({"id": s.INTEGER, "user_id": s.INTEGER, "user": s.STRING, "started_at": s.TIME,
                             "ended_at": s.TIME, "hours": s.NUMBER}, ("id", "user_id", "started_at", "ended_at"))),
    "parts": s.array(s.obj({"id": s.INTEGER, "reference": s.STRING, "label": s.nullable(s.STRING),
                            "quantity": s.NUMBER, "unit": s.STRING}, ("id", "reference", "quantity", "unit"))),
    "notes": s.array(s.obj({"id": s.INTEGER, "text": s.STRING, "author": _WHO, "at": s.TIME}, ("id", "text", "at"))),
    "attachments": s.array(s.obj({"id": s.INTEGER, "kind": {"enum": ["photo", "signature"]}, "sha256": s.STRING,
                                  "size": s.INTEGER, "content_type": s.STRING, "taken_at": s.nullable(s.TIME),
                                  "position": s.nullable(LONLAT), "url": s.STRING},
                                 ("id", "kind", "sha256", "size", "url"))),
    "presence": s.obj({"proven": {**s.BOOLEAN, "description": "an on-site position within reach of the assets"},
                       "nearest_m": s.nullable(s.NUMBER),
                       "vehicle_came": {**s.BOOLEAN, "description": "the crew's vehicle stopped near the assets"},
                       "flagged": {**s.BOOLEAN, "description": "neither: the arrival is not proven"}},
                      ("proven", "vehicle_came", "flagged")),
    "visits": s.array(s.obj({"vehicle_id": s.INTEGER, "crew_id": s.nullable(s.INTEGER), "arrived_at": s.TIME,
                             "departed_at": s.nullable(s.TIME), "nearest_m": s.NUMBER},
                            ("vehicle_id", "arrived_at", "nearest_m"))),
    "replayed": {**s.BOOLEAN, "description": "true: this action had come before; nothing changed"},
}, ("order_id", "state", "version", "allowed", "checklist", "labour", "parts", "notes", "attachments", "presence"),
    description="what was done on site")
TICK = s.obj({"done": s.BOOLEAN, "note": {"type": "string", "maxLength": worklog.MAX_TEXT}, "client_id": CLIENT_ID},
             ("done",), extra=False)
LABOUR = s.obj({"user_id": {**s.INTEGER, "description": "default: the caller"},
                "started_at": {"type": "string", "format": "date-time"},
                "ended_at": {"type": "string", "format": "date-time"}, "client_id": CLIENT_ID},
               ("started_at", "ended_at"), extra=False)
PART = s.obj({"reference": {"type": "string", "minLength": 1, "maxLength": 200},
              "label": {"type": "string", "maxLength": 500}, "quantity": {"type": "number", "exclusiveMinimum": 0},
              "unit": {"type": "string", "maxLength": 20}, "client_id": CLIENT_ID},
             ("reference", "quantity"), extra=False)
NOTE = s.obj({"text": {"type": "string", "minLength": 1, "maxLength": worklog.MAX_TEXT}, "client_id": CLIENT_ID},
             ("text",), extra=False)
UPLOAD = s.obj({
    "file": {"type": "string", "format": "binary",
             "description": f"JPEG or PNG, at most {attachments.MAX_BYTES // 1048576} MiB"},
    "kind": {"enum": ["photo", "signature"]}, "taken_at": {"type": "string", "format": "date-time"},
    "lon": s.NUMBER, "lat": s.NUMBER, "client_id": CLIENT_ID}, ("file", "kind"))
WRITE_ERRORS = (409,)
IMAGE = {"type": "string", "format": "binary"}


def _lang() -> str:
    return "fr" if str(get_locale() or "en").startswith("fr") else "en"


def _record(session: Session, order_id: int) -> dict[str, Any]:
    return worklog.work_record(session, order_id, _lang())


@bp.get("/work-orders/<int:order_id>/work")
@requires(*STAFF)
@operation("What was done on site: checklist, labour, parts, notes, photos, signature, proof of presence",
           tags=TAGS, responses={200: Reply(WORK_RECORD, "The work record")})
def work_record(order_id: int) -> Response:
    who = current_identity()
    with work() as session:
        access.check_can_see(session, who.role, who.user_id, order_id)
        return respond(_record(session, order_id))


PROOF_MAP = {**s.obj({"type": {"enum": ["FeatureCollection"]}, "order_id": s.INTEGER,
                      "features": s.array(s.obj({"type": s.STRING, "geometry": s.GEOMETRY, "properties": s.obj({})}))},
                     ("type", "order_id", "features")),
             "description": "WGS84 features; properties.role: asset, move (state, at, distance_m, proven, "
                            "by_vehicle) or track (a vehicle visit's fixes, from 15 min before to 5 min after)"}


@bp.get("/work-orders/<int:order_id>/proof")
@requires(*CONTROL_ROOM)
@operation("The proof of presence on a map: the order's assets, the positions reported on each move and the "
           "vehicle tracks around each visit", tags=TAGS, responses={200: Reply(PROOF_MAP, "GeoJSON, WGS84")})
def work_order_proof(order_id: int) -> Response:
    who = current_identity()
    with work() as session:
        access.check_can_see(session, who.role, who.user_id, order_id)
        return respond(proof_map(session, order_id))


@bp.put("/work-orders/<int:order_id>/checklist/<key>")
@requires(*MOVERS)
@operation("Tick or untick a checklist item (with a note)", tags=TAGS, body=TICK,
           responses={200: Reply(WORK_RECORD, "The work record after it")}, errors=WRITE_ERRORS)
def tick_checklist(order_id: int, key: str) -> Response:
    body: dict[str, Any] = json_body() or {}
    actor = current_identity().user_id

    def act(session: Session) -> tuple[dict[str, Any], int]:
        worklog.tick(session, order_id, key, bool(body["done"]), actor, body.get("note"))
        return _record(session, order_id), 200
    return once(order_id, body.get("client_id"), act)


def _time(value: str, name: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(FieldError(name, f"expected an ISO 8601 time, got {value[:40]!r}")) from None


@bp.post("/work-orders/<int:order_id>/labour")
@requires(*MOVERS)
@operation("Record time worked on the order (who, from–to)", tags=TAGS, body=LABOUR,
           responses={201: Reply(WORK_RECORD, "The work record after it")}, errors=WRITE_ERRORS,
           description="422 for an interval that ends before it starts, lasts over 16 h, lies in the future or "
                       "overlaps the same person's labour.")
def add_labour(order_id: int) -> Response:
    body: dict[str, Any] = json_body() or {}
    actor = current_identity().user_id

    def act(session: Session) -> tuple[dict[str, Any], int]:
        worklog.add_labour(session, order_id, body.get("user_id") or actor, _time(body["started_at"], "started_at"),
                           _time(body["ended_at"], "ended_at"), actor)
        return _record(session, order_id), 201
    return once(order_id, body.get("client_id"), act)


@bp.post("/work-orders/<int:order_id>/parts")
@requires(*MOVERS)
@operation("Record a part used on the order", tags=TAGS, body=PART,
           responses={201: Reply(WORK_RECORD, "The work record after it")}, errors=WRITE_ERRORS)
def add_part(order_id: int) -> Response:
    body: dict[str, Any] = json_body() or {}
    actor = current_identity().user_id

    def act(session: Session) -> tuple[dict[str, Any], int]:
        worklog.add_part(session, order_id, body["reference"], body["quantity"], actor, body.get("label"),
                         body.get("unit"))
        return _record(session, order_id), 201
    return once(order_id, body.get("client_id"), act)


@bp.post("/work-orders/<int:order_id>/notes")
@requires(*MOVERS)
@operation("Add a note to the order", tags=TAGS, body=NOTE,
           responses={201: Reply(WORK_RECORD, "The work record after it")}, errors=WRITE_ERRORS)
def add_note(order_id: int) -> Response:
    body: dict[str, Any] = json_body() or {}
    actor = current_identity().user_id

    def act(session: Session) -> tuple[dict[str, Any], int]:
        worklog.add_note(session, order_id, body["text"], actor)
        return _record(session, order_id), 201
    return once(order_id, body.get("client_id"), act)


def _home() -> Path:
    return Path(current_app.config["CITYPILOT_HOME"])


def _float(name: str) -> float | None:
    raw = request.form.get(name)
    if raw in (None, ""):
        return None
    try:
        return float(raw)
    except ValueError:
        raise ValidationError(FieldError(name, f"expected a number, got {raw[:20]!r}")) from None


@bp.post("/work-orders/<int:order_id>/attachments")
@requires(*MOVERS)
@operation("Add a photo or the signature to the order (JPEG or PNG, with when and where it was taken)", tags=TAGS,
           body=UPLOAD, body_type="multipart/form-data",
           responses={201: Reply(WORK_RECORD, "The work record after it")}, errors=WRITE_ERRORS,
           description="422 names the field: a file that is not a JPEG or PNG (by its bytes), too large, or a "
                       "position out of range.")
def add_attachment(order_id: int) -> Response:
    if not request.mimetype.startswith("multipart/form-data"):
        raise ValidationError(FieldError("file", "upload as multipart/form-data (fields: file, kind, taken_at, "
                                                 "lon, lat, client_id)"))
    upload = request.files.get("file")
    if upload is None:
        raise ValidationError(FieldError("file", "missing"))
    data = upload.read(attachments.MAX_BYTES + 1)
    kind = (request.form.get("kind") or "").strip()
    taken = request.form.get("taken_at")
    taken_at = _time(taken, "taken_at") if taken else None
    lon, lat = _float("lon"), _float("lat")
    position: Point | None = None
    if lon is not None and lat is not None:
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValidationError(FieldError("lon", "lon/lat out of range (WGS84 degrees)"))
        position = _storage({"lon": lon, "lat": lat})
    actor, home = current_identity().user_id, _home()

    def act(session: Session) -> tuple[dict[str, Any], int]:
        attachments.store(session, home, order_id, kind, data, actor, taken_at, position)
        return _record(session, order_id), 201
    return once(order_id, request.form.get("client_id") or None, act)


@bp.get("/work-orders/<int:order_id>/attachments/<int:attachment_id>")
@requires(*STAFF)
@operation("The file of a photo or signature of an order (only for who may see the order)", tags=TAGS,
           responses={200: Reply(IMAGE, "The image", content_type="image/jpeg", alternatives={"image/png": IMAGE})})
def attachment_file(order_id: int, attachment_id: int) -> Response:
    who = current_identity()
    with work() as session:
        access.check_can_see(session, who.role, who.user_id, order_id)
        path, content_type = attachments.open_attachment(session, _home(), order_id, attachment_id)
    response = send_file(path, mimetype=content_type, max_age=3600, etag=True)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
