"""Planning from the map, through the API only (no Qt): work orders opened from a selection, the open orders
and active alarms as map layers, and what an asset feeds (``GET /assets/{id}/feeds``) as features to highlight."""

from __future__ import annotations

from typing import Any

from app.desktop.api import API, ApiClient

#: When the server's OpenAPI cannot be read (the values of ``POST /work-orders`` today).
CATEGORIES = ("lighting", "signals", "video", "fibre", "buildings")
PRIORITIES = ("urgent", "high", "normal", "low")
LAYER_MAX = 2000  # orders or alarms drawn at most (pages followed up to this)
FEEDS_MAX = 500  # fed assets drawn at most


def order_choices(client: ApiClient) -> tuple[list[str], list[str]]:
    """The categories and priorities the server takes for a new order (its OpenAPI), else today's."""
    try:
        spec = client.get(f"{API}/openapi.json")
        body = spec["paths"][f"{API}/work-orders"]["post"]["requestBody"]["content"]["application/json"]["schema"]
        props = body["properties"]
        return list(props["category"]["enum"]), list(props["priority"]["enum"])
    except Exception:  # an older server, or a schema behind a $ref: the known values
        return list(CATEGORIES), list(PRIORITIES)


def create_orders(client: ApiClient, asset_ids: list[int], *, category: str | None, priority: str,
                  description: str = "", one_per_asset: bool = False) -> list[dict[str, Any]]:
    """One order for all of ``asset_ids`` (or one each); answers the orders the server opened."""
    groups = [[a] for a in asset_ids] if one_per_asset else [list(asset_ids)]
    made = []
    for ids in groups:
        body: dict[str, Any] = {"origin": "planner", "priority": priority, "asset_ids": ids}
        if category:
            body["category"] = category
        if description.strip():
            body["description"] = description.strip()
        made.append(client.call("POST", f"{API}/work-orders", body))
    return made


def _pages(client: ApiClient, path: str, cap: int) -> tuple[list[dict[str, Any]], int]:
    """Items of a paginated list, following ``next`` up to ``cap``; and the server's total."""
    answer = client.get(path)
    items, total = list(answer["items"]), int(answer.get("total") or 0)
    while answer.get("next") and len(items) < cap:
        answer = client.get(answer["next"])
        items += answer["items"]
    return items[:cap], total


def _point(lon: Any, lat: Any, properties: dict[str, Any]) -> dict[str, Any] | None:
    if lon is None or lat is None:
        return None
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": properties}


def orders_layer(client: ApiClient, cap: int = LAYER_MAX) -> dict[str, Any]:
    """The open work orders with a place, as a FeatureCollection (``total``: all open orders)."""
    items, total = _pages(client, f"{API}/work-orders?state=open&limit=200", cap)
    features = [f for f in (_point(o.get("lon"), o.get("lat"), {
        "id": o["id"], "category": o["category"], "priority": o["priority"], "state": o["state"],
        "label": f"#{o['id']} {o['category']} · {o['priority']} · {o['state']}"}) for o in items) if f]
    return {"type": "FeatureCollection", "features": features, "total": total}


def alarms_layer(client: ApiClient, cap: int = LAYER_MAX) -> dict[str, Any]:
    """The active alarms (open and acknowledged) at their asset, as a FeatureCollection."""
    items, total = _pages(client, f"{API}/alarms?limit=200", cap)
    features = [f for f in (_point(a["asset"].get("lon"), a["asset"].get("lat"), {
        "id": a["id"], "severity": a["severity"], "state": a["state"], "asset_id": a["asset"]["id"],
        "label": f"{a['asset']['code']}: {a['message']}"}) for a in items) if f]
    return {"type": "FeatureCollection", "features": features, "total": total}


def feeds_layer(client: ApiClient, asset_id: int, cap: int = FEEDS_MAX) -> dict[str, Any]:
    """What ``asset_id`` feeds (or cuts off when it fails), each with its geometry, nearest first."""
    answer = client.get(f"{API}/assets/{asset_id}/feeds")
    features = []
    for item in answer["items"][:cap]:
        feature = client.asset(int(item["id"]))
        if feature.get("geometry"):
            features.append({"type": "Feature", "geometry": feature["geometry"],
                             "properties": {"id": item["id"], "kind": item["kind"], "code": item["code"],
                                            "depth": item["depth"]}})
    return {"type": "FeatureCollection", "features": features, "total": int(answer["total"]),
            "source": asset_id}

