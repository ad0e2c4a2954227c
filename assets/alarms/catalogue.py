"""The vocabulary of alarms: types, severities, states, history actions, and how types relate.

Imports nothing from the database layer, so models, rules and clients share it.
"""

from __future__ import annotations

ALARM_TYPES = (
    "lamp_failure", "cabinet_trip", "device_silent", "meter_unreachable", "sensor_threshold",
    "vehicle_outside_zone", "fibre_failure", "sla_at_risk", "sla_breached",
)
#: Raised by the field-service escalation on an order's first asset (never open an order themselves).
SLA_TYPES = ("sla_at_risk", "sla_breached")
#: Most severe first (the list order of the API).
SEVERITIES = ("critical", "major", "minor", "warning")
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
#: ``open`` and ``acknowledged`` alarms are *active*; ``cleared`` ones are history.
ALARM_STATES = ("open", "acknowledged", "cleared")
ACTIVE_STATES = ("open", "acknowledged")
#: What the history records (and the ``action`` of an announcement).
ACTIONS = ("raised", "grouped", "ungrouped", "acknowledged", "cleared")

#: Failures that cut off what they feed: their alarm lists the affected assets and groups their alarms.
CAUSE_TYPES = ("cabinet_trip", "fibre_failure")
#: Alarms a cause explains (a lamp out, a silent or unreachable device) and therefore groups.
CHILD_TYPES = ("lamp_failure", "device_silent", "meter_unreachable")

DEFAULT_SEVERITY = {
    "lamp_failure": "minor",
    "cabinet_trip": "critical",
    "device_silent": "minor",
    "meter_unreachable": "major",
    "sensor_threshold": "warning",
    "vehicle_outside_zone": "warning",
    "fibre_failure": "critical",
    "sla_at_risk": "major",
    "sla_breached": "critical",
}
#: Kinds whose silence matters more than a lamp's (a whole junction, a camera, a cabinet, a meter).
MAJOR_WHEN_SILENT = ("cabinet", "signal_controller", "camera", "energy_meter", "fibre_node")


def severity_for(alarm_type: str, kind: str | None = None) -> str:
    """The default severity of an alarm of ``alarm_type`` on an asset of ``kind``."""
    if alarm_type == "device_silent" and kind in MAJOR_WHEN_SILENT:
        return "major"
    return DEFAULT_SEVERITY[alarm_type]


_KIND_LABELS = {
    "luminaire": "Lamp", "cabinet": "Cabinet", "energy_meter": "Energy meter", "sensor": "Sensor",
    "vehicle": "Vehicle", "fibre_node": "Fibre node", "fibre_segment": "Fibre segment", "camera": "Camera",
    "signal_controller": "Signal controller", "building": "Building",
}


def kind_label(kind: str) -> str:
    return _KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())


def message_for(alarm_type: str, kind: str, code: str, detail: dict | None = None) -> str:
    """The one-line text of an alarm (English; clients translate by ``type`` and ``detail``)."""
    detail = detail or {}
    label = f"{kind_label(kind)} {code}"
    if alarm_type == "lamp_failure":
        return f"{label} failed"
    if alarm_type == "cabinet_trip":
        return f"{label} tripped"
    if alarm_type == "device_silent":
        if detail.get("reason") == "unreachable":
            return f"{label} unreachable"
        return f"{label} silent for more than {_duration(detail.get('allowed_s'))}"
    if alarm_type == "meter_unreachable":
        return f"{label} unreachable"
    if alarm_type == "sensor_threshold":
        parts = [
            f"{c['metric']}{' ' + _window(c['window_s']) if c.get('window_s') else ''} {c['value']:g} "
            f"{'>' if c['side'] == 'above' else '<'} {c['limit']:g}"
            for c in detail.get("crossed", [])
        ]
        return f"{label}: " + ("; ".join(parts) or "threshold crossed")
    if alarm_type == "vehicle_outside_zone":
        distance = detail.get("distance_m")
        away = f" ({distance / 1000:.1f} km away)" if isinstance(distance, int | float) else ""
        return f"{label} outside its zone{away}"
    if alarm_type == "fibre_failure":
        return f"{label} down"
    if alarm_type in SLA_TYPES:
        clock = str(detail.get("clock", "SLA")).replace("_", " ")
        order = f"order {detail.get('order_id', '?')}"
        if alarm_type == "sla_breached":
            return f"{label}: {order} {clock} deadline breached"
        left = detail.get("remaining_min")
        return f"{label}: {order} {clock} at risk" + (f" ({left:g} min left)" if isinstance(left, int | float) else "")
    return f"{label}: {alarm_type.replace('_', ' ')}"


def _duration(seconds: object) -> str:
    if not isinstance(seconds, int | float):
        return "its expected interval"
    if seconds >= 3600:
        return f"{seconds / 3600:g} h"
    return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"


def _window(seconds: int) -> str:
    return f"{_duration(seconds)} mean"
