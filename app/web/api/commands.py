"""``/commands``: give a command (dim, switch, flash, normal, reboot), list and read them device by device,
confirm (the second person of the two-person rule), cancel, and read the audit. The rules live in
:mod:`assets.commands`; the worker sends; changes arrive on ``/stream`` as ``command`` events."""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from werkzeug.wrappers import Response

from app.web.api import schemas as s
from app.web.api.blueprint import bp
from app.web.api.http import arg_cursor, arg_int, json_body, page, page_url, respond
from app.web.auth.guard import current_identity
from app.web.auth.roles import CONTROL_ROOM, requires
from app.web.db import work
from app.web.openapi import Param, Reply, operation
from assets.commands import service, views
from assets.commands.actions import ACTIONS
from assets.commands.states import COMMAND_STATES, TARGET_STATES
from assets.commands.views import MAX_PAGE

#: Who reads commands: the control room, and planners (what was done to the network).
READERS = ("admin", "planner", "supervisor", "operator")

_TIME = s.nullable(s.TIME)
_USER = {**s.nullable(s.STRING), "description": "user name"}
COUNTS = s.obj({state: s.INTEGER for state in TARGET_STATES}, TARGET_STATES, description="targets per state")
TARGET = s.obj(
    {
        "asset_id": s.INTEGER, "code": s.STRING, "kind": s.STRING, "state": {"enum": list(TARGET_STATES)},
        "detail": {**s.nullable(s.STRING),
                   "description": "what happened last: 'reported dim 50', 'rejected by the device: …', "
                                  "'no acknowledgement within 10 s (attempt 1 of 3)'"},
        "attempts": s.INTEGER, "transport": {**s.nullable(s.STRING), "description": "mqtt, chirpstack, tts, modbus"},
        "sent_at": _TIME, "acked_at": _TIME, "finished_at": _TIME, "updated_at": s.TIME,
        "lon": s.nullable(s.NUMBER), "lat": s.nullable(s.NUMBER),
    },
    ("asset_id", "code", "kind", "state", "detail", "updated_at", "lon", "lat"),
)
_SUMMARY_PROPS = {
    "id": s.INTEGER, "action": {"enum": list(ACTIONS)}, "params": {"type": "object"},
    "target": {"type": "object", "description": "the selection as given (asset_ids, circuit_id, polygon and kind) "
                                                "and `skipped`: assets left out for having no device"},
    "comment": s.nullable(s.STRING), "state": {"enum": list(COMMAND_STATES)}, "needs_confirmation": s.BOOLEAN,
    "max_attempts": s.INTEGER, "requested_by": s.STRING, "requested_at": s.TIME, "confirmed_by": _USER,
    "confirmed_at": _TIME, "cancelled_by": _USER, "cancelled_at": _TIME, "finished_at": _TIME, "updated_at": s.TIME,
    "targets_total": s.INTEGER, "counts": COUNTS,
}
_SUMMARY_REQUIRED = ("id", "action", "params", "state", "needs_confirmation", "requested_by", "requested_at",
                     "confirmed_by", "confirmed_at", "counts", "targets_total")
SUMMARY = s.obj(_SUMMARY_PROPS, _SUMMARY_REQUIRED, description="a command without its targets")
COMMAND = s.obj(
    {**_SUMMARY_PROPS, "targets": s.array(TARGET),
     "targets_next": {**s.NEXT, "description": "the next page of targets, or null"}},
    (*_SUMMARY_REQUIRED, "targets", "targets_next"),
    description="a command, device by device (docs/CONTROL.md)",
)
COMMAND_PAGE = s.page_of(SUMMARY)
CREATED = s.obj({"id": s.INTEGER, "state": {"enum": list(COMMAND_STATES)}, "needs_confirmation": s.BOOLEAN,
                 "targets": {**s.INTEGER, "description": "how many devices"}},
                ("id", "state", "needs_confirmation", "targets"))
NEW_COMMAND = s.obj(
    {
        "action": {"enum": list(ACTIONS)},
        "params": {"type": "object", "description": "dim: {level: 0..100}; switch: {on: true|false}; others: {}"},
        "target": {"type": "object", "description": "{asset_ids: [...]}, {circuit_id: N} or {polygon: <GeoJSON "
                                                    "Polygon, WGS84>, kind: luminaire}"},
        "comment": s.nullable({"type": "string", "maxLength": 2000}),
    },
    ("action", "target"),
    extra=False,
)
CANCEL = s.obj({"reason": s.nullable({"type": "string", "maxLength": 2000})}, extra=False)
LOG_ENTRY = s.obj(
    {"id": s.INTEGER, "at": s.TIME, "asset_id": s.nullable(s.INTEGER), "code": s.nullable(s.STRING),
     "actor": {**s.STRING, "description": "user name, or 'worker'"}, "from_state": s.nullable(s.STRING),
     "to_state": s.STRING, "attempt": s.nullable(s.INTEGER), "detail": s.nullable(s.STRING)},
    ("id", "at", "asset_id", "actor", "from_state", "to_state", "detail"),
)
LOG_PAGE = s.obj({"items": s.array(LOG_ENTRY), "limit": s.INTEGER, "next": s.NEXT}, ("items", "limit", "next"))

_LIMIT = {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}
_CURSOR = Param("cursor", {"type": "string"}, "opaque: from the previous page's `next` link")


def _command(session: Any, command_id: int) -> dict[str, Any]:
    """The command with a page of its targets; ``targets_next`` as a link to the next page."""
    limit = arg_int("targets_limit", 100, low=1, high=MAX_PAGE) or 100
    data = views.command_dict(session, command_id, limit, arg_int("targets_cursor", None, low=0))
    after = data["targets_next"]
    data["targets_next"] = None if after is None else url_for(
        "api.command", command_id=command_id, targets_limit=limit, targets_cursor=after, _external=True)
    return data


@bp.post("/commands")
@requires(*CONTROL_ROOM)
@operation(
    "Give a command to devices: dim luminaires (some, a circuit's, a polygon's), switch cabinets, put traffic "
    "signals to flashing or normal, reboot cameras",
    tags=["commands"],
    body=NEW_COMMAND,
    responses={202: Reply(CREATED, "Accepted: the worker sends it (or, for traffic signals, a second person must "
                                   "confirm it first)")},
    description="422 names each invalid field (an action that does not fit the kind of a target, a level out of "
                "0..100, a circuit without commandable luminaires...).",
)
def create_command() -> Response:
    body: dict[str, Any] = json_body() or {}
    who = current_identity().user_id
    with work() as session:
        command = service.create_command(session, who, body.get("action"), body.get("params"), body.get("target"),
                                         body.get("comment"))
        data = views.command_dict(session, command.id, targets_limit=1)
    return respond({"id": data["id"], "state": data["state"], "needs_confirmation": data["needs_confirmation"],
                    "targets": data["targets_total"]}, 202)


@bp.get("/commands")
@requires(*READERS)
@operation(
    "Commands, newest first",
    tags=["commands"],
    query=(Param("state", {"enum": list(COMMAND_STATES)}, "only commands in this state"),
           Param("limit", {**_LIMIT, "default": 50}, "page size"), _CURSOR),
    responses={200: Reply(COMMAND_PAGE, "A page of commands (without their targets: see /commands/{id})")},
)
def commands() -> Response:
    limit = arg_int("limit", 50, low=1, high=MAX_PAGE) or 50
    with work() as session:
        items, total, after = views.command_page(session, request.args.get("state") or None, limit, arg_cursor())
    return respond(page(items, total, limit, after))


@bp.get("/commands/<int:command_id>")
@requires(*READERS)
@operation(
    "One command, device by device",
    tags=["commands"],
    query=(Param("targets_limit", {**_LIMIT, "default": 100}, "targets per page"),
           Param("targets_cursor", {"type": "string"}, "opaque: from `targets_next`")),
    responses={200: Reply(COMMAND, "The command and a page of its targets, by asset id")},
)
def command(command_id: int) -> Response:
    with work() as session:
        return respond(_command(session, command_id))


@bp.post("/commands/<int:command_id>/confirm", endpoint="confirm_command")
@requires(*CONTROL_ROOM)
@operation(
    "Confirm a command waiting for a second person (traffic signals): it starts",
    tags=["commands"],
    responses={200: Reply(COMMAND, "The confirmed command")},
    errors=(409,),
    description="403 when the person confirming is the one who asked for it; 409 when the command is not waiting "
                "for a confirmation.",
)
def confirm_command(command_id: int) -> Response:
    with work() as session:
        service.confirm_command(session, command_id, current_identity().user_id)
        return respond(_command(session, command_id))


@bp.post("/commands/<int:command_id>/cancel", endpoint="cancel_command")
@requires(*CONTROL_ROOM)
@operation(
    "Cancel a command: what its devices have not acknowledged yet is not sent; done ones stay",
    tags=["commands"],
    body=CANCEL,
    body_required=False,
    responses={200: Reply(COMMAND, "The cancelled command")},
    errors=(409,),
    description="409 when the command is already over.",
)
def cancel_command(command_id: int) -> Response:
    body: dict[str, Any] = json_body(required=False) or {}
    with work() as session:
        service.cancel_command(session, command_id, current_identity().user_id, (body.get("reason") or None))
        return respond(_command(session, command_id))


@bp.get("/commands/<int:command_id>/log")
@requires(*READERS)
@operation(
    "The audit of a command: every state change of the command and of each device, who made it, when and why",
    tags=["commands"],
    query=(Param("limit", {"type": "integer", "minimum": 1, "maximum": 5000, "default": 500}, "page size"),
           _CURSOR),
    responses={200: Reply(LOG_PAGE, "Oldest first")},
)
def command_log(command_id: int) -> Response:
    limit = arg_int("limit", 500, low=1, high=5000) or 500
    with work() as session:
        entries, after = views.command_log(session, command_id, limit, arg_cursor())
    return respond({"items": entries, "limit": limit, "next": page_url(after)})
