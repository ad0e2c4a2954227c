"""A QGIS edit session → API calls with versions, and what came back (saved, refused fields, conflicts).

Nothing is written behind the server's back: each change is one API call carrying the version the user
edited; the server's rules decide, and a refusal names the feature and the fields.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .client import ApiFailure, Client, Conflict, FieldProblem, Invalid

#: Properties the server computes: never sent back.
SERVER_FIELDS = frozenset({"id", "kind", "version", "created_at", "updated_at", "commune_insee"})


class Op(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    RETIRE = "retire"


@dataclass
class Change:
    """One API call: ``key`` is the asset id, or the QGIS feature id of a new feature."""

    op: Op
    key: int
    kind: str
    asset_id: int | None = None
    version: int | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    geometry: dict[str, Any] | None = None


class Status(StrEnum):
    SAVED = "saved"
    INVALID = "invalid"
    CONFLICT = "conflict"
    FAILED = "failed"


@dataclass
class Outcome:
    change: Change
    status: Status
    saved: Mapping[str, Any] | None = None  # the feature as the server saved it
    problems: list[FieldProblem] = field(default_factory=list)
    current: Mapping[str, Any] | None = None  # on conflict: the feature as it is now
    message: str = ""


@dataclass
class EditSession:
    """What the user changed in one layer of ``kind`` (as read from QGIS's edit buffer)."""

    kind: str
    versions: Mapping[int, int]  # asset id → version the user edited
    added: Mapping[int, tuple[dict[str, Any], dict[str, Any] | None]] = field(default_factory=dict)
    changed_attributes: Mapping[int, dict[str, Any]] = field(default_factory=dict)
    changed_geometries: Mapping[int, dict[str, Any]] = field(default_factory=dict)
    deleted: Iterable[int] = ()


def clean(properties: Mapping[str, Any]) -> dict[str, Any]:
    """Drop what the server computes; QGIS's NULL and empty strings become ``None``."""
    out = {}
    for name, value in properties.items():
        if name in SERVER_FIELDS:
            continue
        out[name] = None if value is None or value == "" or type(value).__name__ == "QVariant" else value
    return out


def plan(session: EditSession) -> list[Change]:
    """The API calls for an edit session: retirements, then updates (attributes + geometry in one), then creates."""
    deleted = set(session.deleted)
    changes = [Change(Op.RETIRE, a, session.kind, a, session.versions.get(a)) for a in sorted(deleted)]
    for asset_id in sorted((set(session.changed_attributes) | set(session.changed_geometries)) - deleted):
        properties = clean(session.changed_attributes.get(asset_id, {}))
        geometry = session.changed_geometries.get(asset_id)
        if properties or geometry is not None:
            changes.append(Change(Op.UPDATE, asset_id, session.kind, asset_id, session.versions.get(asset_id),
                                  properties, geometry))
    for key, (properties, geometry) in sorted(session.added.items()):
        changes.append(Change(Op.CREATE, key, session.kind, properties=clean(properties), geometry=geometry))
    return changes


def send(client: Client, change: Change) -> Outcome:
    """One change through the API; a refusal becomes an :class:`Outcome`, never an exception."""
    try:
        if change.op is Op.CREATE:
            saved = client.create_asset(change.kind, change.properties, change.geometry)
        elif change.op is Op.RETIRE:
            saved = client.retire_asset(_id(change), change.version)
        else:
            if change.version is None:
                raise ValueError(f"asset {change.asset_id}: no version to send (reload the layer)")
            saved = client.update_asset(_id(change), change.version, change.properties, change.geometry)
    except Conflict as exc:
        return Outcome(change, Status.CONFLICT, current=exc.current, message=exc.message)
    except Invalid as exc:
        return Outcome(change, Status.INVALID, problems=exc.problems, message=exc.message)
    except (ApiFailure, ValueError) as exc:
        return Outcome(change, Status.FAILED, message=str(exc))
    return Outcome(change, Status.SAVED, saved=saved)


def commit(client: Client, session: EditSession) -> list[Outcome]:
    """Send every change of ``session``; each succeeds or fails on its own, in :func:`plan`'s order."""
    return [send(client, change) for change in plan(session)]


def keep_mine(client: Client, outcome: Outcome) -> Outcome:
    """A conflict resolved with the user's values: sent again on the version the server has now."""
    current = outcome.current or {}
    version = (current.get("properties") or {}).get("version")
    retry = Change(outcome.change.op, outcome.change.key, outcome.change.kind, outcome.change.asset_id,
                   int(version) if version is not None else None, outcome.change.properties, outcome.change.geometry)
    return send(client, retry)


def conflict_rows(outcome: Outcome) -> list[tuple[str, Any, Any]]:
    """``(field, mine, theirs)`` for the fields the user changed, as a conflict dialog lists them."""
    theirs = (outcome.current or {}).get("properties") or {}
    rows = [(name, value, theirs.get(name)) for name, value in outcome.change.properties.items()]
    if outcome.change.geometry is not None:
        rows.append(("geometry", outcome.change.geometry, (outcome.current or {}).get("geometry")))
    return rows


def _id(change: Change) -> int:
    assert change.asset_id is not None
    return change.asset_id
