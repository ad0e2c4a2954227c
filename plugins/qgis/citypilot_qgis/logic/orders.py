"""Selections → work orders (plain logic, reused by the plugin's action and its tests)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .client import Client, ids_for_codes
from .work import order_from_selection


def create_order_for(client: Client, kind: str, family: str, codes: Iterable[str], role: str | None,
                     bbox: tuple[float, float, float, float] | None = None, description: str = "",
                     priority: str = "normal") -> dict[str, Any]:
    """Open one work order about the assets ``codes`` of ``kind`` (looked up in ``bbox``); the new order."""
    wanted = list(codes)
    ids = ids_for_codes(client, kind, wanted, bbox)
    missing = sorted(set(wanted) - set(ids))
    if missing:
        raise ValueError(f"asset_ids: {', '.join(missing[:5])} not found on the server")
    return client.create_work_order(order_from_selection(family, ids.values(), role, description, priority))
