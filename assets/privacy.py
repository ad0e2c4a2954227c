"""What each role may see of the inventory and the live data: one rule for every client.

The public (open data, citizens, third parties) sees no personal data and no sensitive camera
detail: no camera field of view, no author of a change (user ids), no live staff (vehicle)
positions. History (which names people) is not given to the public at all: the web API refuses it.
"""

from __future__ import annotations

from typing import Any

from assets.identity import POSITION_ROLES, PUBLIC, may_see_positions

__all__ = ["POSITION_ROLES", "PUBLIC", "PUBLIC_HIDDEN_FIELDS", "may_see_positions", "redact_asset"]

#: Fields of an asset the public never sees: the camera's field of view (sensitive), who made changes (personal).
PUBLIC_HIDDEN_FIELDS = ("fov", "created_by", "updated_by")


def redact_asset(data: dict[str, Any], role: str) -> dict[str, Any]:
    """``data`` (an :func:`assets.serialize.asset_dict`) as ``role`` may see it."""
    if role != PUBLIC:
        return data
    return {k: v for k, v in data.items() if k not in PUBLIC_HIDDEN_FIELDS}

