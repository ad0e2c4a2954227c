"""Live states for the layers: what each asset's device last said (``GET /api/v1/live``, signed in), by code.

The OGC collections are public and carry no live data (it is not public); the plugin reads it with the
user's token and joins it to the layers on ``code``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .client import Client

#: What a device may say, most severe first (the control room's order).
STATES = ("fault", "unreachable", "ok", "unknown")
#: The states drawn over the inventory status (the others show the status).
ALERTING = ("fault", "unreachable")
#: The control room's colours (``app/web/static/control_room/styles.js``).
STATE_COLOURS = {"ok": "#2e9d46", "fault": "#d62728", "unreachable": "#f28e2b", "unknown": "#97a3af"}
STATE_LABELS = {"ok": {"en": "ok", "fr": "en marche"}, "fault": {"en": "fault", "fr": "en panne"},
                "unreachable": {"en": "unreachable", "fr": "injoignable"},
                "unknown": {"en": "unknown", "fr": "inconnu"}}
PAGE = 500


@dataclass(frozen=True)
class LiveState:
    """One asset's live state: its code, the state and since when (ISO 8601, or None)."""

    code: str
    state: str
    since: str | None
    asset_id: int | None = None


@dataclass(frozen=True)
class StateChange:
    """A ``state`` event of the live stream: the asset (by id: the stream does not carry codes) and its state."""

    kind: str
    asset_id: int
    state: str
    since: str | None


def state_change(data: Any) -> StateChange | None:
    """The stream's ``state`` event data as a :class:`StateChange` (None when it is not one)."""
    if not isinstance(data, dict) or not isinstance(data.get("asset_id"), int) or not data.get("kind"):
        return None
    state = data.get("state") if data.get("state") in STATES else "unknown"
    return StateChange(str(data["kind"]), int(data["asset_id"]), str(state), data.get("since") or data.get("ts"))


def latest(changes: Iterable[StateChange]) -> dict[tuple[str, int], StateChange]:
    """The last change of each asset (a burst of events is drawn once, as it ends)."""
    return {(c.kind, c.asset_id): c for c in changes}


def live_states(client: Client, kind: str, bbox: Iterable[float] | None = None) -> dict[str, LiveState]:
    """The live states of the assets of ``kind`` (in ``bbox``: min lon, min lat, max lon, max lat), by code."""
    params: dict[str, str] = {"kind": kind}
    if bbox is not None:
        params["bbox"] = ",".join(f"{v:.6f}" for v in bbox)
    found = {}
    for item in client.pages("/live", limit=PAGE, **params):
        code = item.get("code")
        if code:
            state = item.get("state") if item.get("state") in STATES else "unknown"
            asset_id = item.get("asset_id")
            found[str(code)] = LiveState(str(code), str(state), item.get("state_since"),
                                         asset_id if isinstance(asset_id, int) else None)
    return found

