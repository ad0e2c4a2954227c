"""The work order's state machine: which move is legal from which state.

new → assigned → en_route → on_site → made_safe → (waiting, with a reason) → done → verified,
and cancelled from any open state. ``waiting`` resumes to the state the work stood in.
"""

from __future__ import annotations

from assets.errors import FieldError, ValidationError

STATES = ("new", "assigned", "en_route", "on_site", "made_safe", "waiting", "done", "verified", "cancelled")
CLOSED = ("done", "verified", "cancelled")
FINAL = ("verified", "cancelled")
WAITING_REASONS = ("road_permit", "supplier", "police", "access_refused", "awaiting_device")

MOVES: dict[str, tuple[str, ...]] = {
    "new": ("assigned", "cancelled"),
    "assigned": ("en_route", "new", "cancelled"),
    "en_route": ("on_site", "assigned", "cancelled"),
    "on_site": ("made_safe", "waiting", "done", "cancelled"),
    "made_safe": ("waiting", "done", "cancelled"),
    "waiting": ("on_site", "made_safe", "en_route", "cancelled"),
    "done": ("verified",),
    "verified": (),
    "cancelled": (),
}


class IllegalTransition(ValidationError):
    """A move the state machine does not allow; names the state and the allowed moves."""

    def __init__(self, current: str, to: str) -> None:
        allowed = ", ".join(MOVES.get(current, ())) or "none (final state)"
        self.current, self.to = current, to
        super().__init__(FieldError("state", f"cannot go from {current} to {to}; allowed from {current}: {allowed}"))


def check_move(current: str, to: str, reason: str | None = None) -> None:
    """Raise unless ``current → to`` is legal; ``waiting`` needs one of WAITING_REASONS."""
    if to not in STATES:
        raise ValidationError(FieldError("state", f"unknown state {to!r}; states: {', '.join(STATES)}"))
    if to not in MOVES[current]:
        raise IllegalTransition(current, to)
    if to == "waiting" and reason not in WAITING_REASONS:
        raise ValidationError(FieldError("reason", f"waiting needs a reason among {', '.join(WAITING_REASONS)}"))
