"""The error tree every client maps to its own medium (CLI message, HTTP status, dialog)."""

from __future__ import annotations

from dataclasses import dataclass


class CityPilotError(Exception):
    """Base of every expected error: the message is meant for a person."""


@dataclass(frozen=True)
class FieldError:
    """One invalid field and why."""

    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"


class ValidationError(CityPilotError):
    """Input that breaks a rule; names each field and the reason."""

    def __init__(self, errors: list[FieldError] | FieldError) -> None:
        self.errors = [errors] if isinstance(errors, FieldError) else list(errors)
        super().__init__("; ".join(str(e) for e in self.errors))


class NotFoundError(CityPilotError):
    """The thing asked for does not exist."""


class ConflictError(CityPilotError):
    """A write based on a stale version: someone saved first."""

    def __init__(self, message: str, current_version: int | None = None) -> None:
        self.current_version = current_version
        super().__init__(message)


class PermissionDenied(CityPilotError):
    """The acting user may not do this."""
