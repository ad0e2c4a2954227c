"""What can be commanded: each action, the asset kinds it applies to, its parameters, whether it
needs a second person (traffic signals), and the value a device's report must carry to prove it obeyed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from assets.errors import FieldError, ValidationError
from assets.identity import CONTROL_ROOM

#: Roles that may send, cancel and confirm commands: the control room.
COMMAND_ROLES = CONTROL_ROOM


@dataclass(frozen=True)
class ActionSpec:
    """One action: ``kinds`` its targets may be (a circuit stands for its luminaires), ``metric`` the
    reported value that verifies it, ``two_person``: a second person must confirm before it is sent."""

    name: str
    kinds: tuple[str, ...]
    summary: str
    metric: str
    two_person: bool = False
    verify_timeout_s: float = 30.0


ACTIONS: dict[str, ActionSpec] = {
    spec.name: spec
    for spec in (
        ActionSpec("dim", ("luminaire",), "dim luminaires (one, a circuit's, or a polygon's) to a level", "dim_level"),
        ActionSpec("switch", ("cabinet",), "switch a lighting cabinet's contactor on or off", "contactor_on"),
        ActionSpec("flash", ("signal_controller",), "put a traffic-signal controller to flashing amber", "mode",
                   two_person=True),
        ActionSpec("normal", ("signal_controller",), "put a traffic-signal controller back to normal operation",
                   "mode", two_person=True),
        ActionSpec("reboot", ("camera",), "restart a CCTV camera", "uptime_s", verify_timeout_s=60.0),
    )
}
#: Which action applies to a kind, for error messages.
KIND_ACTIONS: dict[str, tuple[str, ...]] = {}
for _spec in ACTIONS.values():
    for _kind in _spec.kinds:
        KIND_ACTIONS[_kind] = (*KIND_ACTIONS.get(_kind, ()), _spec.name)
KIND_ACTIONS["circuit"] = ("dim",)


def action_spec(action: Any) -> ActionSpec:
    """The spec of ``action``; ValidationError naming the field otherwise."""
    spec = ACTIONS.get(action) if isinstance(action, str) else None
    if spec is None:
        raise ValidationError(FieldError("action", f"{str(action)[:40]!r} is not one of {', '.join(ACTIONS)}"))
    return spec


def check_params(action: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """The action's parameters, checked: ``dim`` needs ``level`` (a whole number 0..100), ``switch``
    needs ``on`` (true/false); the others take none."""
    params = dict(params or {})
    errors: list[FieldError] = []
    out: dict[str, Any] = {}
    if action == "dim":
        level = params.pop("level", None)
        if level is None:
            errors.append(FieldError("params.level", "missing: the dim level in % (0..100)"))
        elif isinstance(level, bool) or not isinstance(level, int | float) or level != int(level):
            errors.append(FieldError("params.level", f"expected a whole number of %, got {repr(level)[:20]}"))
        elif not 0 <= level <= 100:
            errors.append(FieldError("params.level", f"must be between 0 and 100, got {level}"))
        else:
            out["level"] = int(level)
    elif action == "switch":
        on = params.pop("on", None)
        if on is None:
            errors.append(FieldError("params.on", "missing: true (switch on) or false (switch off)"))
        elif not isinstance(on, bool):
            errors.append(FieldError("params.on", f"expected true or false, got {repr(on)[:20]}"))
        else:
            out["on"] = on
    errors += [FieldError(f"params.{name}", f"unknown parameter for {action}") for name in params]
    if errors:
        raise ValidationError(errors)
    return out


def describe(action: str, params: Mapping[str, Any]) -> str:
    """``dim 50 %``, ``switch off``, ``flash``... for messages."""
    if action == "dim":
        return f"dim {params.get('level')} %"
    if action == "switch":
        return f"switch {'on' if params.get('on') else 'off'}"
    return action
