"""Alarms and work orders as the docks show them: who may do what, rows, labels in French and English."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

#: Same groups as the server's (assets.identity, app/web/api/work_orders.py): the buttons follow them.
CONTROL_ROOM = ("admin", "supervisor", "operator")
EDITORS = ("admin", "planner")
ORDER_CREATORS = ("admin", "planner", "supervisor", "operator")
#: An asset family → the work-order category (the crews' skill) it needs.
CATEGORY_OF_FAMILY = {"lighting": "lighting", "traffic": "signals", "video": "video", "network": "fibre",
                      "energy": "buildings", "environment": "buildings"}
#: A planner opens planned orders only; the control room opens them as the planner's.
ORIGIN_OF_ROLE = {"planner": "planned"}

LABELS: dict[str, dict[str, str]] = {
    # alarm states and severities
    "active": {"en": "active", "fr": "active"}, "acknowledged": {"en": "acknowledged", "fr": "acquittée"},
    "cleared": {"en": "cleared", "fr": "levée"}, "critical": {"en": "critical", "fr": "critique"},
    "major": {"en": "major", "fr": "majeure"}, "minor": {"en": "minor", "fr": "mineure"},
    "warning": {"en": "warning", "fr": "avertissement"},
    # order states and priorities
    "new": {"en": "new", "fr": "nouveau"}, "assigned": {"en": "assigned", "fr": "affecté"},
    "en_route": {"en": "en route", "fr": "en route"}, "on_site": {"en": "on site", "fr": "sur place"},
    "made_safe": {"en": "made safe", "fr": "mis en sécurité"}, "waiting": {"en": "waiting", "fr": "en attente"},
    "done": {"en": "done", "fr": "terminé"}, "verified": {"en": "verified", "fr": "vérifié"},
    "cancelled": {"en": "cancelled", "fr": "annulé"}, "open": {"en": "open", "fr": "ouverts"},
    "all": {"en": "all", "fr": "tous"}, "urgent": {"en": "urgent", "fr": "urgente"},
    "high": {"en": "high", "fr": "haute"}, "normal": {"en": "normal", "fr": "normale"},
    "low": {"en": "low", "fr": "basse"},
}


#: Where an alarm's word differs from an order's (French agrees with the noun: une alarme, des ordres).
ALARM_LABELS: dict[str, dict[str, str]] = {"open": {"en": "open", "fr": "ouverte"},
                                           "all": {"en": "all", "fr": "toutes"}}


def label(value: str | None, language: str, table: Mapping[str, Mapping[str, str]] | None = None) -> str:
    if value is None:
        return ""
    found = (table or {}).get(value) or LABELS.get(value, {})
    return found.get(language, value.replace("_", " "))


def may_acknowledge(role: str | None) -> bool:
    return role in CONTROL_ROOM


def may_assign(role: str | None) -> bool:
    return role in CONTROL_ROOM


def may_create_order(role: str | None) -> bool:
    return role in ORDER_CREATORS


def may_edit(role: str | None) -> bool:
    return role in EDITORS


@dataclass(frozen=True)
class Row:
    """One line of a dock: the record's id, its cells, and where it is (for "zoom to")."""

    id: int
    cells: tuple[str, ...]
    lon: float | None
    lat: float | None
    version: int | None = None


def alarm_rows(items: Iterable[Mapping[str, Any]], language: str) -> list[Row]:
    rows = []
    for alarm in items:
        asset = alarm.get("asset") or {}
        rows.append(Row(int(alarm["id"]), (
            label(alarm.get("severity"), language), label(alarm.get("state"), language, ALARM_LABELS),
            str(asset.get("code") or ""),
            str(alarm.get("message") or ""), str(alarm.get("raised_at") or "")[:16].replace("T", " "),
        ), asset.get("lon"), asset.get("lat")))
    return rows


def order_rows(items: Iterable[Mapping[str, Any]], language: str) -> list[Row]:
    rows = []
    for order in items:
        crew = order.get("crew") or {}
        rows.append(Row(int(order["id"]), (
            str(order["id"]), label(order.get("state"), language), label(order.get("priority"), language),
            str(order.get("category") or ""), str(crew.get("name") or ""), str(order.get("description") or "")[:80],
        ), order.get("lon"), order.get("lat"), order.get("version")))
    return rows


def order_from_selection(family: str, asset_ids: Iterable[int], role: str | None, description: str = "",
                         priority: str = "normal") -> dict[str, Any]:
    """The body of ``POST /work-orders`` for the assets selected in one family's layers."""
    ids = sorted({int(i) for i in asset_ids})
    if not ids:
        raise ValueError("asset_ids: select at least one asset")
    body: dict[str, Any] = {"origin": ORIGIN_OF_ROLE.get(role or "", "planner"),
                            "category": CATEGORY_OF_FAMILY.get(family, "lighting"), "priority": priority,
                            "asset_ids": ids}
    if description:
        body["description"] = description
    return body


def fed_codes(answer: Mapping[str, Any]) -> dict[str, set[str]]:
    """``GET /assets/{id}/feeds`` → the fed assets' codes by kind (to select them in the layers)."""
    found: dict[str, set[str]] = {}
    for item in answer.get("items") or []:
        found.setdefault(str(item["kind"]), set()).add(str(item["code"]))
    return found
