"""``/alarms``: the alarm list (causes, newest and most severe first), one alarm with what it affects and its
history, acknowledging and clearing by hand. The rules live in :mod:`assets.alarms`; changes arrive on
``/stream`` as ``alarm`` events."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from app.web.api import schemas as s
from app.web.api.blueprint import bp
from app.web.api.http import arg_bbox, arg_cursor, arg_flag, arg_int, arg_list, json_body, page, respond
from app.web.auth.guard import current_identity
from app.web.auth.roles import CONTROL_ROOM, STAFF, requires
from app.web.db import work
from app.web.openapi import Param, Reply, operation
from assets.alarms.catalogue import ACTIONS, ALARM_STATES, ALARM_TYPES, SEVERITIES
from assets.alarms.lifecycle import Actor, acknowledge, clear_by_hand
from assets.alarms.queries import DEFAULT_LIMIT, MAX_LIMIT, STATE_FILTERS, AlarmQuery, alarm_detail, list_alarms

_TIME = s.nullable(s.TIME)
_LONLAT = {"lon": s.nullable(s.NUMBER), "lat": s.nullable(s.NUMBER)}
ALARM = s.obj(
    {
        "id": s.INTEGER,
        "type": {"enum": list(ALARM_TYPES)},
        "severity": {"enum": list(SEVERITIES)},
        "state": {"enum": list(ALARM_STATES)},
        "asset": s.obj({"id": s.INTEGER, "kind": s.STRING, "code": s.STRING, **_LONLAT},
                       ("id", "kind", "code", "lon", "lat")),
        "message": s.STRING,
        "detail": {"type": "object", "description": "what the rule saw (threshold crossed, last heard...)"},
        "fact_ts": {**s.TIME, "description": "device time of the fact that raised it"},
        "raised_at": s.TIME,
        "acknowledged_at": _TIME,
        "acknowledged_by": {**s.nullable(s.STRING), "description": "user name"},
        "cleared_at": _TIME,
        "cleared_by": {**s.nullable(s.STRING), "description": "user name; null when the device said so"},
        "cause_id": {**s.nullable(s.INTEGER), "description": "the cause this alarm is grouped under"},
        "affected_count": {**s.INTEGER, "description": "a cause: how many assets it affects"},
    },
    ("id", "type", "severity", "state", "asset", "message", "raised_at", "acknowledged_at", "acknowledged_by",
     "cleared_at", "cause_id", "affected_count"),
    description="an alarm (docs/CONTROL.md)",
)
ALARM_PAGE = s.page_of(ALARM)
ALARM_DETAIL = s.obj(
    {
        **ALARM["properties"],
        "affected": s.array(s.obj({"id": s.INTEGER, "kind": s.STRING, "code": s.STRING, **_LONLAT,
                                   "alarm_id": {**s.nullable(s.INTEGER), "description": "its alarm under this cause"}},
                                  ("id", "kind", "code", "lon", "lat", "alarm_id"))),
        "history": s.array(s.obj({"at": s.TIME, "action": {"enum": list(ACTIONS)}, "actor": s.STRING,
                                  "detail": {"type": "object"}}, ("at", "action", "actor", "detail"))),
    },
    (*ALARM["required"], "affected", "history"),
)
COMMENT = s.obj({"comment": {"type": "string", "maxLength": 2000}}, extra=False)

LIST_PARAMS = (
    Param("state", {"type": "string"}, f"{', '.join(STATE_FILTERS)}, comma-separated; default: active "
          "(open and acknowledged)"),
    Param("severity", {"type": "string"}, f"{', '.join(SEVERITIES)}, comma-separated"),
    Param("type", {"type": "string"}, "alarm types, comma-separated"),
    Param("kind", {"type": "string"}, "asset kinds, comma-separated"),
    Param("asset_id", {"type": "integer"}, "the alarms of one asset"),
    Param("bbox", {"type": "string"}, "min lon,min lat,max lon,max lat (WGS84): alarms of assets in the box"),
    Param("include_children", {"type": "boolean"}, "also the alarms grouped under a cause"),
    Param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}, "page size"),
    Param("cursor", {"type": "string"}, "opaque: from the previous page's `next` link"),
)


@bp.get("/alarms")
@requires(*STAFF)
@operation(
    "Alarms: most severe, then newest first; alarms grouped under a cause are left out",
    tags=["alarms"],
    query=LIST_PARAMS,
    responses={200: Reply(ALARM_PAGE, "A page of alarms")},
)
def alarms() -> Response:
    query = AlarmQuery(
        states=arg_list("state") or ["active"], severities=arg_list("severity"), types=arg_list("type"),
        kinds=arg_list("kind"), asset_id=arg_int("asset_id"), bbox=arg_bbox(),
        include_children=arg_flag("include_children"), limit=arg_int("limit", DEFAULT_LIMIT, low=1, high=MAX_LIMIT),
        offset=arg_cursor() or 0,
    )
    with work() as session:
        found = list_alarms(session, query)
    return respond(page(found.items, found.total, query.limit, found.next_offset))


@bp.get("/alarms/<int:alarm_id>")
@requires(*STAFF)
@operation(
    "One alarm, the assets it affects (a cause: what the cabinet or fibre fed) and its history",
    tags=["alarms"],
    responses={200: Reply(ALARM_DETAIL, "The alarm")},
)
def alarm(alarm_id: int) -> Response:
    with work() as session:
        return respond(alarm_detail(session, alarm_id))


def _actor() -> Actor:
    who = current_identity()
    return Actor(who.user_id, who.name or "")


def _comment() -> str | None:
    body: dict[str, Any] = json_body(required=False) or {}
    comment = (body.get("comment") or "").strip()
    return comment or None


@bp.post("/alarms/<int:alarm_id>/acknowledge", endpoint="acknowledge_alarm")
@requires(*CONTROL_ROOM)
@operation(
    "Acknowledge an open alarm (and the alarms grouped under it): records who and when",
    tags=["alarms"],
    body=COMMENT,
    body_required=False,
    responses={200: Reply(ALARM, "The acknowledged alarm")},
    errors=(409,),
    description="409 when the alarm is already acknowledged or cleared.",
)
def acknowledge_alarm(alarm_id: int) -> Response:
    comment = _comment()
    with work() as session:
        return respond(acknowledge(session, alarm_id, _actor(), comment))


@bp.post("/alarms/<int:alarm_id>/clear", endpoint="clear_alarm")
@requires(*CONTROL_ROOM)
@operation(
    "Clear an alarm by hand (the device has not said so)",
    tags=["alarms"],
    body=COMMENT,
    body_required=False,
    responses={200: Reply(ALARM, "The cleared alarm")},
    errors=(409,),
    description="409 when the alarm is already cleared. Grouped alarms stay until their devices clear them.",
)
def clear_alarm(alarm_id: int) -> Response:
    comment = _comment()
    with work() as session:
        return respond(clear_by_hand(session, alarm_id, _actor(), comment))

