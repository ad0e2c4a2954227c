"""Live data: live state per asset and per box, telemetry series, vehicles and their tracks.

Read through :mod:`assets.live.queries`; staff positions (vehicles) only for the roles
:func:`assets.privacy.may_see_positions` allows. Later changes arrive on ``/stream``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Any

from flask import request
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.web.api import schemas as s
from app.web.api.assets import LIST_PARAMS, asset_query
from app.web.api.blueprint import bp
from app.web.api.http import arg_time, page, respond
from app.web.auth.guard import current_identity
from app.web.auth.roles import CONTROL_ROOM, STAFF, requires
from app.web.db import work
from app.web.openapi import Param, Reply, operation
from assets.errors import FieldError, ValidationError
from assets.live.queries import LiveSnapshot, live_state, live_states, series, track, vehicle_positions
from assets.models import Asset
from assets.privacy import may_see_positions
from assets.search import search_assets
from assets.store import get_asset

DEFAULT_SPAN = dt.timedelta(hours=24)
_POSITION = ("lon", "lat", "speed_kmh", "heading_deg")
_TIME_PARAMS = (
    Param("since", {"type": "string", "format": "date-time"}, "ISO 8601 (UTC if no offset); default: 24 h ago"),
    Param("until", {"type": "string", "format": "date-time"}, "ISO 8601; default: now"),
)


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime) else value


def live_json(asset_id: int, kind: str, snapshot: LiveSnapshot | None, role: str) -> dict[str, Any]:
    """A live state as JSON (``unknown`` when the device never spoke), positions hidden where due."""
    if snapshot is None:
        data: dict[str, Any] = {"asset_id": asset_id, "state": "unknown", "state_since": None, "ts": None,
                                "last_seen": None, "values": {}, **dict.fromkeys(_POSITION), "source": None}
    else:
        data = {k: _iso(v) for k, v in asdict(snapshot).items()}
    if kind == "vehicle" and not may_see_positions(role):
        data.update(dict.fromkeys(_POSITION))
    return data


def _span() -> tuple[dt.datetime, dt.datetime | None]:
    until = arg_time("until")
    since = arg_time("since") or (until or dt.datetime.now(dt.UTC)) - DEFAULT_SPAN
    if until is not None and until <= since:
        raise ValidationError(FieldError("until", "must be after since"))
    return since, until


@bp.get("/assets/<int:asset_id>/live")
@requires(*STAFF)
@operation(
    "The live state of one asset (what its device last said)",
    tags=["live"],
    responses={200: Reply(s.LIVE, "The live state; `unknown` when the device never spoke")},
)
def asset_live(asset_id: int) -> Response:
    role = current_identity().role or ""
    with work() as session:
        asset = get_asset(session, asset_id)
        return respond(live_json(asset_id, asset.kind, live_state(session, asset_id), role))


@bp.get("/live")
@requires(*STAFF)
@operation(
    "Live states of the assets matching the filters (a box, kinds...), paginated like /assets",
    tags=["live"],
    query=tuple(p for p in LIST_PARAMS if p.name != "f"),
    responses={200: Reply(s.LIVE_PAGE, "A page of live states, by asset id")},
)
def live_in_box() -> Response:
    query = asset_query()
    role = current_identity().role or ""
    with work() as session:
        found = search_assets(session, query)
        snapshots = {x.asset_id: x for x in live_states(session, [a.id for a in found.items])}
        items = [
            {**live_json(a.id, a.kind, snapshots.get(a.id), role), "kind": a.kind, "code": a.code} for a in found.items
        ]
    return respond(page(items, found.total, query.limit, found.next_after))


@bp.get("/assets/<int:asset_id>/telemetry")
@requires(*STAFF)
@operation(
    "A telemetry series of one asset: one metric between two times",
    tags=["live"],
    query=(Param("metric", {"type": "string"}, "power_w, laeq_db...", required=True), *_TIME_PARAMS),
    responses={200: Reply(s.SERIES, "The stored values, oldest first (device time)")},
)
def asset_telemetry(asset_id: int) -> Response:
    metric = (request.args.get("metric") or "").strip()
    if not metric:
        raise ValidationError(FieldError("metric", "missing: which metric (e.g. power_w)"))
    since, until = _span()
    with work() as session:
        get_asset(session, asset_id)
        points = series(session, asset_id, metric, since, until)
    return respond({
        "asset_id": asset_id, "metric": metric, "since": since.isoformat(), "until": _iso(until),
        "points": [{"ts": ts.isoformat(), "value": value} for ts, value in points],
    })


@bp.get("/vehicles")
@requires(*CONTROL_ROOM)
@operation(
    "Where the fleet is: the last known position of every vehicle",
    tags=["live"],
    responses={200: Reply(s.VEHICLES, "Vehicles that reported a position")},
)
def vehicles() -> Response:
    role = current_identity().role or ""
    with work() as session:
        snapshots = vehicle_positions(session)
        ids = [x.asset_id for x in snapshots]
        codes = dict(session.execute(select(Asset.id, Asset.code).where(Asset.id.in_(ids))).tuples().all())
    items = [{**live_json(x.asset_id, "vehicle", x, role), "kind": "vehicle", "code": codes[x.asset_id]}
             for x in snapshots]
    return respond({"items": items, "total": len(items)})


@bp.get("/vehicles/<int:asset_id>/track")
@requires(*CONTROL_ROOM)
@operation(
    "A vehicle's track between two times",
    tags=["live"],
    query=_TIME_PARAMS,
    responses={200: Reply(s.TRACK, "The stored GPS fixes, oldest first")},
)
def vehicle_track(asset_id: int) -> Response:
    since, until = _span()
    with work() as session:
        asset = get_asset(session, asset_id)
        if asset.kind != "vehicle":
            raise ValidationError(FieldError("asset_id", f"asset {asset_id} is a {asset.kind}, not a vehicle"))
        points = track(session, asset_id, since, until)
    return respond({
        "asset_id": asset_id, "since": since.isoformat(), "until": _iso(until),
        "points": [{k: _iso(v) for k, v in asdict(p).items()} for p in points],
    })
