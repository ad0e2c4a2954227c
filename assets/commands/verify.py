"""What proves a device obeyed: the first report of the action's value at or after its acknowledgement.

- ``dim``: ``dim_level`` within :data:`DIM_TOLERANCE` % of the level asked;
- ``switch``: the cabinet's contactor read back as asked (``contactor_on``);
- ``flash`` / ``normal``: ``mode`` is ``flashing`` / ``normal``;
- ``reboot``: ``uptime_s`` no longer than the time since the acknowledgement (plus a little): it restarted.

A report of another state is a failure ("reported dim 100 after acknowledging 50"); no report yet
decides nothing (the worker times the target out later).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DIM_TOLERANCE = 1.0
REBOOT_SLACK_S = 5.0
MODES = {"flash": "flashing", "normal": "normal"}


@dataclass(frozen=True)
class Report:
    """One reported value of a device, at the device's time ``ts``."""

    ts: dt.datetime
    value: Any


@dataclass(frozen=True)
class Verdict:
    """``verified`` or ``failed``, and what the device reported."""

    state: str
    detail: str


def judge(action: str, params: Mapping[str, Any], ack_ts: dt.datetime, report: Report | None) -> Verdict | None:
    """The verdict on a target from the first report at or after ``ack_ts`` (None: nothing to say yet)."""
    if report is None or report.ts < ack_ts or report.value is None:
        return None
    value = report.value
    if action == "dim":
        level = params["level"]
        got = _number(value)
        if got is None:
            return Verdict("failed", f"reported dim {value!r} after acknowledging {level}")
        if abs(got - level) <= DIM_TOLERANCE:
            return Verdict("verified", f"reported dim {_pct(got)}")
        return Verdict("failed", f"reported dim {_pct(got)} after acknowledging {level}")
    if action == "switch":
        wanted, got = bool(params["on"]), _boolean(value)
        word = {True: "on", False: "off", None: repr(value)}
        if got is wanted:
            return Verdict("verified", f"contactor read back {word[got]}")
        return Verdict("failed", f"contactor read back {word[got]} after acknowledging switch {word[wanted]}")
    if action in MODES:
        if value == MODES[action]:
            return Verdict("verified", f"reported mode {value}")
        return Verdict("failed", f"reported mode {value} after acknowledging {action}")
    if action == "reboot":
        uptime = _number(value)
        since_ack = (report.ts - ack_ts).total_seconds()
        if uptime is not None and uptime <= since_ack + REBOOT_SLACK_S:
            return Verdict("verified", f"back after the reboot (up {uptime:.0f} s)")
        return Verdict("failed", f"reported up {value} s after acknowledging reboot: it did not restart")
    raise ValueError(f"no verification rule for {action!r}")


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value)
    if isinstance(value, str) and value.lower() in ("true", "false", "on", "off", "1", "0"):
        return value.lower() in ("true", "on", "1")
    return None


def _pct(value: float) -> str:
    return f"{value:g}"
