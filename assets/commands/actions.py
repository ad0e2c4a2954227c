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
class ParamSpec:
    """One parameter of an action: ``percent`` (a whole number 0..100) or ``bool`` (``on``/``off``:
    the words it reads as)."""

    name: str
    type: str
    summary: str
    words: tuple[str, str] = ("on", "off")

    def check(self, value: Any) -> tuple[Any, str | None]:
        """The value checked, or None and why not."""
        if value is None:
            return None, f"missing: {self.summary}"
        if self.type == "bool":
            if not isinstance(value, bool):
                return None, f"expected true or false, got {repr(value)[:20]}"
            return value, None
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            return None, f"expected a whole number of %, got {repr(value)[:20]}"
        if not 0 <= value <= 100:
            return None, f"must be between 0 and 100, got {value}"
        return int(value), None

    def describe(self, value: Any) -> str:
        if self.type == "bool":
            return self.words[0] if value else self.words[1]
        return f"{value} %"


@dataclass(frozen=True)
class ActionSpec:
    """One action: ``kinds`` its targets may be (a circuit stands for its luminaires), ``metric`` the
    reported value that verifies it, ``two_person``: a second person must confirm before it is sent,
    ``params`` what it takes (every client — API, CLI, control room — reads them here)."""

    name: str
    kinds: tuple[str, ...]
    summary: str
    metric: str
    two_person: bool = False
    verify_timeout_s: float = 30.0
    params: tuple[ParamSpec, ...] = ()


ACTIONS: dict[str, ActionSpec] = {
    spec.name: spec
    for spec in (
        ActionSpec("dim", ("luminaire",), "dim luminaires (one, a circuit's, or a polygon's) to a level", "dim_level",
                   params=(ParamSpec("level", "percent", "the dim level in % (0..100)"),)),
        ActionSpec("switch", ("cabinet",), "switch a lighting cabinet's contactor on or off", "contactor_on",
                   params=(ParamSpec("on", "bool", "true (switch on) or false (switch off)"),)),
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
    """The action's parameters checked against its :class:`ParamSpec` s (``dim``: ``level`` 0..100,
    ``switch``: ``on`` true/false; the others take none); ValidationError naming each bad one."""
    params = dict(params or {})
    errors: list[FieldError] = []
    out: dict[str, Any] = {}
    for param in action_spec(action).params:
        value, problem = param.check(params.pop(param.name, None))
        if problem is None:
            out[param.name] = value
        else:
            errors.append(FieldError(f"params.{param.name}", problem))
    errors += [FieldError(f"params.{name}", f"unknown parameter for {action}") for name in params]
    if errors:
        raise ValidationError(errors)
    return out


def describe(action: str, params: Mapping[str, Any]) -> str:
    """``dim 50 %``, ``switch off``, ``flash``... for messages."""
    spec = ACTIONS.get(action)
    words = [p.describe(params.get(p.name)) for p in spec.params] if spec else []
    return " ".join([action, *words])
