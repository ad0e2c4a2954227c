"""``/work-orders``: the list (most urgent first), one order with its clocks and history, opening an order,
moving it through its states. The rules live in :mod:`fieldservice` (states, SLA, dispatch, who may do
what: :mod:`fieldservice.access`); a crew sees and moves only its own orders."""

from __future__ import annotations

from typing import Any

from shapely.geometry import Point
from sqlalchemy import text
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from app.web.api import schemas as s
from app.web.api.blueprint import bp
from app.web.api.http import arg_cursor, arg_int, arg_list, arg_time, json_body, page, respond
from app.web.api.once import CLIENT_ID, once
from app.web.auth.guard import current_identity
from app.web.auth.roles import CONTROL_ROOM, STAFF, requires
from app.web.db import work
from app.web.openapi import Param, Reply, operation
from assets.alarms.queries import iso
from assets.errors import FieldError, ValidationError
from fieldservice import access, dispatch, from_alarms, orders
from fieldservice.models import ORIGINS, PRIORITIES
from fieldservice.queries import DEFAULT_LIMIT, MAX_LIMIT, STATE_FILTERS, OrderQuery, list_orders, order_detail
from fieldservice.queries import order_item as read_item
from fieldservice.states import STATES, WAITING_REASONS
from gis.crs import to_storage
from gis.geometry import reproject

_TIME = s.nullable(s.TIME)
LONLAT = s.obj({"lon": {"type": "number", "minimum": -180, "maximum": 180},
                "lat": {"type": "number", "minimum": -90, "maximum": 90}}, ("lon", "lat"), extra=False,
               description="WGS84")
_ITEM_PROPS: dict[str, s.Schema] = {
    "id": s.INTEGER, "origin": {"enum": list(ORIGINS)}, "category": {"enum": list(orders.CATEGORIES)},
    "priority": {"enum": list(PRIORITIES)}, "state": {"enum": list(STATES)},
    "waiting_reason": {**s.nullable(s.STRING), "description": "why it waits; awaiting_device: done, until the "
                                                              "device reports ok"},
    "description": s.nullable(s.STRING), "alarm_id": s.nullable(s.INTEGER),
    "crew": s.nullable(s.obj({"id": s.INTEGER, "name": s.STRING}, ("id", "name"))),
    "lon": s.nullable(s.NUMBER), "lat": s.nullable(s.NUMBER), "commune_insee": s.nullable(s.STRING),
    "version": {**s.INTEGER, "description": "send it back to move the order (optimistic locking)"},
    "created_at": s.TIME, "updated_at": s.TIME, "response_due": _TIME, "make_safe_due": _TIME,
    "resolution_due": _TIME, "arrived_at": _TIME, "made_safe_at": _TIME, "done_at": _TIME, "asset_count": s.INTEGER,
}
_ITEM_REQUIRED = ("id", "origin", "category", "priority", "state", "crew", "version", "created_at", "response_due",
                  "resolution_due")
ORDER = s.obj(_ITEM_PROPS, _ITEM_REQUIRED, description="a work order")
CLOCK = s.obj({"budget_min": s.INTEGER, "due": _TIME, "stopped_at": _TIME, "elapsed_min": s.NUMBER,
               "remaining_min": s.NUMBER, "paused": s.BOOLEAN, "breached": s.BOOLEAN, "late_min": s.NUMBER},
              ("budget_min", "due", "stopped_at", "remaining_min", "paused", "breached"))
ORDER_DETAIL = s.obj(
    {**_ITEM_PROPS,
     "allowed_moves": s.array({"enum": list(STATES)}),
     "assets": s.array(s.obj({"id": s.INTEGER, "kind": s.STRING, "code": s.STRING}, ("id", "kind", "code"))),
     "alarms": s.array(s.obj({"id": s.INTEGER, "type": s.STRING, "state": s.STRING}, ("id", "type", "state"))),
     "events": s.array(s.obj({"from": s.nullable(s.STRING), "to": s.STRING, "at": s.TIME,
                              "actor": {**s.nullable(s.STRING), "description": "user name"},
                              "reason": s.nullable(s.STRING), "lon": s.nullable(s.NUMBER),
                              "lat": s.nullable(s.NUMBER)}, ("from", "to", "at", "actor"))),
     "clocks": {"type": "object", "additionalProperties": CLOCK,
                "description": "response, make_safe, resolution: those the order's SLA policy sets"}},
    (*_ITEM_REQUIRED, "allowed_moves", "assets", "alarms", "events", "clocks"),
)
ORDER_PAGE = s.page_of(ORDER)
NEW_ORDER = s.obj(
    {"origin": {"enum": list(ORIGINS), "default": "planner"}, "category": {"enum": list(orders.CATEGORIES)},
     "priority": {"enum": list(PRIORITIES), "default": "normal"},
     "description": {"type": "string", "maxLength": 4000},
     "asset_ids": s.array(s.INTEGER, maxItems=1000), "location": LONLAT},
    (), extra=False, description="category: required unless asset_ids are given (then by the first asset's family)",
)
POSITION = s.obj({**LONLAT["properties"], "accuracy_m": {"type": "number", "minimum": 0,
                                                         "description": "the fix's stated accuracy (metres)"}},
                 ("lon", "lat"), extra=False, description="WGS84, where the actor was")
MOVE = s.obj(
    {"to": {"enum": list(STATES)},
     "version": {**s.INTEGER, "description": "the version you saw (optional with a client_id: a queued action)"},
     "reason": {"type": "string", "maxLength": 2000,
                "description": f"waiting: one of {', '.join(WAITING_REASONS)}; cancelled: why"},
     "crew_id": {**s.INTEGER, "description": "assigned: the crew (checked for skill and clearances)"},
     "position": POSITION, "client_id": CLIENT_ID},
    ("to",), extra=False,
)
LIST_PARAMS = (
    Param("state", {"type": "string"}, f"{', '.join(STATE_FILTERS)}, comma-separated; default: open"),
    Param("category", {"type": "string"}, "comma-separated"),
    Param("priority", {"type": "string"}, "comma-separated"),
    Param("origin", {"type": "string"}, "comma-separated"),
    Param("crew_id", {"type": "integer"}, "the orders of one crew"),
    Param("asset_id", {"type": "integer"}, "the orders about one asset"),
    Param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}, "page size"),
    Param("cursor", {"type": "string"}, "opaque: from the previous page's `next` link"),
)
#: Who opens orders (a planner: planned ones only, :mod:`fieldservice.access`).
CREATORS = ("admin", "planner", "supervisor", "operator")
#: Who moves orders (a crew: its own, through the work only).
MOVERS = (*CONTROL_ROOM, "crew")


def _storage(point: dict[str, float] | None) -> Point | None:
    """A WGS84 ``{lon, lat}`` as a Lambert-93 point."""
    if point is None:
        return None
    shape = reproject(Point(point["lon"], point["lat"]), to_storage("EPSG:4326"))
    assert isinstance(shape, Point)
    return shape


@bp.get("/work-orders")
@requires(*STAFF)
@operation(
    "Work orders, the most urgent first (earliest running due time); a crew sees its own",
    tags=["work orders"],
    query=LIST_PARAMS,
    responses={200: Reply(ORDER_PAGE, "A page of work orders")},
)
def work_orders() -> Response:
    who = current_identity()
    with work() as session:
        query = OrderQuery(
            states=arg_list("state") or ["open"], categories=arg_list("category"), priorities=arg_list("priority"),
            origins=arg_list("origin"), crew_id=arg_int("crew_id"), asset_id=arg_int("asset_id"),
            within_crews=access.visible_crews(session, who.role, who.user_id),
            limit=arg_int("limit", DEFAULT_LIMIT, low=1, high=MAX_LIMIT) or DEFAULT_LIMIT, offset=arg_cursor() or 0)
        found = list_orders(session, query)
    return respond(page(found.items, found.total, query.limit, found.next_offset))


@bp.get("/work-orders/<int:order_id>")
@requires(*STAFF)
@operation(
    "One work order: its assets, alarms, SLA clocks, history and the moves allowed next",
    tags=["work orders"],
    responses={200: Reply(ORDER_DETAIL, "The work order")},
)
def work_order(order_id: int) -> Response:
    who = current_identity()
    with work() as session:
        access.check_can_see(session, who.role, who.user_id, order_id)
        return respond(order_detail(session, order_id))


def _category_of(session: Session, asset_ids: list[int] | None) -> str:
    """The category of an order about ``asset_ids`` when none is given: the first asset's family's."""
    if not asset_ids:
        raise ValidationError(FieldError("category", "is required (or give asset_ids)"))
    kind = session.execute(text("SELECT kind FROM assets WHERE id = :a"), {"a": asset_ids[0]}).scalar()
    category = from_alarms.category_of(kind) if kind else None
    if category is None:
        raise ValidationError(FieldError("category", f"is required: a {kind or 'missing asset'} has no default"))
    return category


@bp.post("/work-orders")
@requires(*CREATORS)
@operation(
    "Open a work order (state new, SLA clocks running) about assets and/or a place",
    tags=["work orders"],
    body=NEW_ORDER,
    responses={201: Reply(ORDER_DETAIL, "The new work order")},
    description="422 names each invalid field; 403 when a planner opens anything but a planned order.",
)
def create_work_order() -> Response:
    body: dict[str, Any] = json_body() or {}
    who = current_identity()
    origin = body.get("origin", "planner")
    access.check_can_create(who.role, origin)
    with work() as session:
        order = orders.create_order(
            session, origin=origin, category=body.get("category") or _category_of(session, body.get("asset_ids")),
            priority=body.get("priority", "normal"),
            actor_id=who.user_id, asset_ids=body.get("asset_ids", ()), location=_storage(body.get("location")),
            description=body.get("description"))
        return respond(order_detail(session, order.id), 201)


@bp.post("/work-orders/<int:order_id>/transition", endpoint="move_work_order")
@requires(*MOVERS)
@operation(
    "Move a work order to another state, stamped with who, when and where",
    tags=["work orders"],
    body=MOVE,
    responses={200: Reply(ORDER, "The order after the move")},
    errors=(409,),
    description="422 for a move the state machine refuses (naming the state and the allowed moves), a crew "
                "without the skill or clearances, or a crew closing (done) without the required checklist "
                "ticked or a proven arrival (fields checklist, position); 409 when the version is stale; 403 "
                "for a crew on another crew's order, or assigning or cancelling. With a client_id the move is "
                "applied once: a replay gets the first answer (replayed: true), and a move that no longer "
                "applies answers 409 with the order's state and crew_id.",
)
def move_work_order(order_id: int) -> Response:
    body: dict[str, Any] = json_body() or {}
    who = current_identity()
    to, version, reason = body["to"], body.get("version"), body.get("reason")
    if version is None and body.get("client_id") is None:
        raise ValidationError(FieldError("version", "send the version you saw (or a client_id for a queued action)"))
    position = body.get("position")

    def act(session: Session) -> tuple[dict[str, Any], int]:
        access.check_can_move(session, who.role, who.user_id, order_id, to)
        if to == "assigned" and body.get("crew_id") is not None:
            dispatch.assign(session, order_id, body["crew_id"], who.user_id, version)
        elif to == "cancelled":
            orders.cancel(session, order_id, who.user_id, reason or "", expected_version=version)
        else:
            orders.transition(session, order_id, to, who.user_id, position=_storage(position), reason=reason,
                              expected_version=version, accuracy_m=(position or {}).get("accuracy_m"),
                              require_proof=who.role == access.CREW)
        return read_item(session, order_id), 200
    return once(order_id, body.get("client_id"), act)


BATCH = s.obj({"order_ids": s.array(s.INTEGER, minItems=1, maxItems=200), "crew_id": s.INTEGER},
              ("order_ids", "crew_id"), extra=False)


@bp.post("/work-orders/batch-assign")
@requires(*CONTROL_ROOM)
@operation(
    "Assign several orders of one area to one crew in one action (all or none), with a suggested round",
    tags=["work orders"],
    body=BATCH,
    responses={200: Reply(s.obj({"route": {**s.array(s.INTEGER), "description": "nearest next from the crew's "
                                                                                "vehicle"},
                                 "items": s.array(ORDER)}, ("route", "items")), "The orders, assigned")},
    description="422 names the order a crew may not take (skill, clearances, shift) or cannot move; nothing is "
                "assigned then.",
)
def batch_assign_work_orders() -> Response:
    body: dict[str, Any] = json_body() or {}
    who = current_identity()
    with work() as session:
        route = dispatch.assign_batch(session, body["order_ids"], body["crew_id"], who.user_id)
        return respond({"route": route, "items": [read_item(session, i) for i in route]})


PROPOSAL = s.obj(
    {"crew_id": s.INTEGER, "name": s.STRING, "distance_m": s.NUMBER,
     "position_at": {**s.TIME, "description": "when its vehicle last reported where it is"},
     "travel_min": {**s.NUMBER, "description": "straight distance × 1.4 at 30 km/h"},
     "queue": {**s.array(s.INTEGER), "description": "its open orders, oldest first"},
     "eta": s.TIME, "response_due": _TIME, "resolution_due": _TIME,
     "response_breach": s.BOOLEAN, "resolution_breach": s.BOOLEAN},
    ("crew_id", "name", "distance_m", "travel_min", "queue", "eta", "response_breach", "resolution_breach"),
    description="a crew that may take the order",
)


@bp.get("/work-orders/<int:order_id>/proposals")
@requires(*CONTROL_ROOM)
@operation(
    "The nearest crews that may take the order (skill, valid clearances, working or on call) by the live "
    "position of their vehicle, with their queue and the breach risk if assigned",
    tags=["work orders"],
    query=(Param("limit", {"type": "integer", "minimum": 1, "maximum": 20, "default": 3}, "how many crews"),
           Param("at", {"type": "string", "format": "date-time"}, "shifts and clearances at this time; default: now")),
    responses={200: Reply(s.obj({"items": s.array(PROPOSAL)}, ("items",)), "Nearest first")},
)
def work_order_proposals(order_id: int) -> Response:
    with work() as session:
        found = dispatch.propose(session, order_id, when=arg_time("at"), limit=arg_int("limit", 3, low=1, high=20) or 3)
    return respond({"items": [{**p.__dict__, "eta": iso(p.eta), "position_at": iso(p.position_at),
                               "response_due": iso(p.response_due), "resolution_due": iso(p.resolution_due)}
                              for p in found]})


ANSWERING = {**ORDER_DETAIL, "properties": {**ORDER_DETAIL["properties"], "opened": {
    **s.BOOLEAN, "description": "true: opened now; false: it already answered the alarm or now does"}}}


@bp.post("/alarms/<int:alarm_id>/work-order")
@requires(*CONTROL_ROOM)
@operation(
    "The work order answering an alarm: opened now when none does",
    tags=["work orders"],
    body=s.obj({"priority": {"enum": list(PRIORITIES)}}, extra=False),
    responses={201: Reply(ANSWERING, "The order opened now"),
               200: Reply(ANSWERING, "The order that already answers it (the alarm's, its cause's, or the "
                                        "open order on its asset, which it now joins)")},
    description="422 (field alarm_id) when the alarm has cleared or its asset's family takes no work order.",
)
def alarm_work_order(alarm_id: int) -> Response:
    body: dict[str, Any] = json_body() or {}
    with work() as session:
        order_id, opened = from_alarms.order_for_alarm(session, alarm_id, current_identity().user_id,
                                                       body.get("priority"))
        return respond({**order_detail(session, order_id), "opened": opened}, 201 if opened else 200)
