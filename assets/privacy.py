"""What each role may see of the inventory and the live data: one rule for every client.

The public (open data, citizens, third parties) sees no personal data and no sensitive camera
detail: no camera field of view, no author of a change (user ids), no live staff (vehicle)
positions. History (which names people) is not given to the public at all: the web API refuses it.
"""

from __future__ import annotations

from typing import Any

from assets.identity import POSITION_ROLES, PUBLIC, may_see_positions

__all__ = [
    "OPEN_DATA_HIDDEN_FIELDS", "OPEN_DATA_KINDS", "POSITION_ROLES", "PUBLIC", "PUBLIC_HIDDEN_FIELDS", "may_read_kind",
    "may_see_positions", "open_data_fields", "open_data_kinds", "readable_kinds", "redact_asset",
]

#: Fields of an asset the public never sees: the camera's field of view (sensitive), who made changes (personal).
PUBLIC_HIDDEN_FIELDS = ("fov", "created_by", "updated_by")


def redact_asset(data: dict[str, Any], role: str) -> dict[str, Any]:
    """``data`` (an :func:`assets.serialize.asset_dict`) as ``role`` may see it: the public sees what
    open data publishes (:data:`OPEN_DATA_HIDDEN_FIELDS` left out)."""
    if role != PUBLIC:
        return data
    return {k: v for k, v in data.items() if k not in OPEN_DATA_HIDDEN_FIELDS}


def readable_kinds(role: str) -> tuple[str, ...] | None:
    """The kinds ``role`` may read in the inventory (None: every kind). The public reads the open-data
    kinds only: no vehicles (staff), no meters (device addresses), no fibre network."""
    return open_data_kinds() if role == PUBLIC else None


def may_read_kind(role: str, kind: str) -> bool:
    """Whether ``role`` may read assets of ``kind``."""
    kinds = readable_kinds(role)
    return kinds is None or kind in kinds


#: Kinds whose inventory is open data (fibre only if the city opens it: a setting; vehicles never).
OPEN_DATA_KINDS = ("cabinet", "pole", "luminaire", "signal_controller", "signal_head", "camera", "sensor", "building")
FIBRE_KINDS = ("fibre_node", "fibre_segment")
#: Fields never published: personal (authors), sensitive (field of view), device credentials and
#: network addresses (keys, identifiers a device is reached by), internal links and free attributes
#: (unvetted survey remarks may name people).
OPEN_DATA_HIDDEN_FIELDS = (
    *PUBLIC_HIDDEN_FIELDS, "attrs", "dev_eui", "tracker_id", "plate", "modbus_host", "modbus_port",
    "unit_id", "register_map", "energy_meter_id", "fibre_node_id", "parent_id", "dimming_profile",
)


def open_data_kinds(include_fibre: bool = False) -> tuple[str, ...]:
    """The kinds published as open data, in the kinds' order."""
    return OPEN_DATA_KINDS + (FIBRE_KINDS if include_fibre else ())


def open_data_fields(kind: str) -> tuple[str, ...]:
    """The fields of ``kind`` that open data publishes."""
    from assets.fields import all_fields

    return tuple(f for f in all_fields(kind) if f not in OPEN_DATA_HIDDEN_FIELDS)
