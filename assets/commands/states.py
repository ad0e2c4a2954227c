"""The life of a command, as an explicit state machine: what may follow what, and the summary state
of a command from its targets' states.

One device's command: ``queued → sent → acknowledged → verified``; ``failed`` (refused, or the device
reported another state than asked), ``timed_out`` (no acknowledgement or no report in time: retried
within the command's ``max_attempts`` by going back to ``queued``), ``cancelled`` (before the device
acknowledged). A command: ``awaiting_confirmation`` (two-person rule) → ``running`` → ``done`` (every
target verified), ``partly_failed``, ``failed`` (none verified); ``cancelled`` at any time before.
"""

from __future__ import annotations

from collections.abc import Mapping

from assets.errors import CityPilotError

TARGET_STATES = ("queued", "sent", "acknowledged", "verified", "failed", "timed_out", "cancelled")
COMMAND_STATES = ("awaiting_confirmation", "running", "done", "partly_failed", "failed", "cancelled")

#: Target state → the states that may follow it.
TARGET_TRANSITIONS: Mapping[str, frozenset[str]] = {
    "queued": frozenset({"sent", "failed", "timed_out", "cancelled"}),
    "sent": frozenset({"acknowledged", "failed", "timed_out", "cancelled"}),
    "acknowledged": frozenset({"verified", "failed", "timed_out"}),
    "timed_out": frozenset({"queued"}),  # a retry, while attempts remain
    "verified": frozenset(),
    "failed": frozenset(),
    "cancelled": frozenset(),
}
COMMAND_TRANSITIONS: Mapping[str, frozenset[str]] = {
    "awaiting_confirmation": frozenset({"running", "cancelled"}),
    "running": frozenset({"done", "partly_failed", "failed", "cancelled"}),
    "done": frozenset(),
    "partly_failed": frozenset(),
    "failed": frozenset(),
    "cancelled": frozenset(),
}
#: Targets still in progress (the worker's business).
OPEN_TARGET_STATES = ("queued", "sent", "acknowledged")
#: Targets a cancellation stops: the device has not acknowledged yet.
CANCELLABLE_TARGET_STATES = ("queued", "sent")
FINISHED_COMMAND_STATES = ("done", "partly_failed", "failed", "cancelled")


class InvalidTransition(CityPilotError):
    """A state change the machine does not allow (``queued → verified``, anything out of ``verified``...)."""


def check_target_transition(old: str, new: str) -> None:
    """Raise InvalidTransition unless a target may go from ``old`` to ``new``."""
    _check(TARGET_TRANSITIONS, "a target", old, new)


def check_command_transition(old: str, new: str) -> None:
    """Raise InvalidTransition unless a command may go from ``old`` to ``new``."""
    _check(COMMAND_TRANSITIONS, "a command", old, new)


def _check(table: Mapping[str, frozenset[str]], what: str, old: str, new: str) -> None:
    if old not in table or new not in table:
        raise InvalidTransition(f"{what} has no state {old if old not in table else new!r}")
    if new not in table[old]:
        allowed = ", ".join(sorted(table[old])) or "nothing (final state)"
        raise InvalidTransition(f"{what} cannot go from {old} to {new} (from {old}: {allowed})")


def may_retry(attempts: int, max_attempts: int) -> bool:
    """Whether a timed-out target is sent again."""
    return attempts < max_attempts


def backoff_s(attempts: int, base_s: float, max_s: float) -> float:
    """Seconds to wait before attempt ``attempts + 1``: ``base_s`` doubling per attempt, at most ``max_s``."""
    return min(base_s * 2 ** max(attempts - 1, 0), max_s)


def summary_state(current: str, counts: Mapping[str, int]) -> str:
    """A command's state from its targets' counts: unchanged while awaiting confirmation or once
    cancelled; ``running`` while any target is open; then ``done`` / ``partly_failed`` / ``failed``."""
    if current in ("awaiting_confirmation", "cancelled"):
        return current
    if any(counts.get(s, 0) for s in OPEN_TARGET_STATES):
        return "running"
    verified = counts.get("verified", 0)
    total = sum(counts.get(s, 0) for s in TARGET_STATES)
    if total and verified == total:
        return "done"
    return "partly_failed" if verified else "failed"
