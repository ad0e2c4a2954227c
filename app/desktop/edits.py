"""The planner's edits of one session: every save through the API with the version edited, undo and redo.

No Qt here. A save, an undo or a redo that meets a newer version on the server raises :class:`Conflict`
(the window opens the conflict dialog): nothing is ever overwritten silently. A bulk edit is one step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.desktop.api import ApiClient, ApiError

GEOMETRY = "geometry"  # the key of a change that moves or reshapes the asset


class Conflict(Exception):
    """Someone saved the asset since the planner's version: ``current`` is the server's Feature."""

    def __init__(self, asset_id: int, mine: dict[str, Any], edited_version: int, current: dict[str, Any]) -> None:
        super().__init__(f"asset {asset_id}: version {current['properties']['version']} is on the server")
        self.asset_id = asset_id
        self.mine = mine
        self.edited_version = edited_version
        self.current = current


@dataclass
class Edit:
    """One asset's change: the values before and after (``geometry`` among them when it moved)."""

    asset_id: int
    before: dict[str, Any]
    after: dict[str, Any]
    version: int  # the asset's version once this edit is applied


@dataclass
class Step:
    """What one undo takes back: one edit, or every edit of a bulk change."""

    label: str
    edits: list[Edit] = field(default_factory=list)


def _split(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    properties = {k: v for k, v in values.items() if k != GEOMETRY}
    return properties, values.get(GEOMETRY)


class EditSession:
    """Saves, creations and retirements of this session, with their undo and redo stacks."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client
        self.undo_steps: list[Step] = []
        self.redo_steps: list[Step] = []

    # -- doing --------------------------------------------------------------------------------------

    def patch(self, asset_id: int, values: dict[str, Any], version: int) -> dict[str, Any]:
        """PATCH ``values`` (properties, and ``geometry``) at ``version``: the saved Feature, or Conflict."""
        properties, geometry = _split(values)
        try:
            if geometry is not None:
                return self.client.update_geometry(asset_id, geometry, version, properties)
            return self.client.update_asset(asset_id, properties, version)
        except ApiError as exc:
            if exc.status == 409 and isinstance(exc.body.get("current"), dict):
                raise Conflict(asset_id, values, version, exc.body["current"]) from None
            raise

    def save(self, feature: dict[str, Any], values: dict[str, Any], label: str = "edit",
             version: int | None = None) -> dict[str, Any]:
        """Save ``values`` of the asset ``feature`` (as the planner loaded it); one undo step."""
        saved = self._apply(feature, values, version)
        self._push(Step(label, [self._edit(feature, values, saved)]))
        return saved

    def save_many(self, changes: list[tuple[dict[str, Any], dict[str, Any]]], label: str) -> list[dict[str, Any]]:
        """Save each (feature, values) pair; one undo step for all that were saved (a conflict stops there,
        the saved ones stay undoable)."""
        step = Step(label)
        saved_features = []
        try:
            for feature, values in changes:
                saved = self._apply(feature, values, None)
                step.edits.append(self._edit(feature, values, saved))
                saved_features.append(saved)
        finally:
            if step.edits:
                self._push(step)
        return saved_features

    def created(self, feature: dict[str, Any]) -> None:
        """A new asset: undo retires it, redo brings its status back."""
        status = feature["properties"].get("status")
        self._push(Step("create", [Edit(int(feature["id"]), {"status": "removed"}, {"status": status},
                                        int(feature["properties"]["version"]))]))

    def retire(self, feature: dict[str, Any]) -> dict[str, Any]:
        """Retire the asset at the version loaded (Conflict when stale); undo brings its status back."""
        version = int(feature["properties"]["version"])
        try:
            saved = self.client.retire_asset(int(feature["id"]), version)
        except ApiError as exc:
            if exc.status == 409 and isinstance(exc.body.get("current"), dict):
                raise Conflict(int(feature["id"]), {"status": "removed"}, version, exc.body["current"]) from None
            raise
        self._push(Step("retire", [Edit(int(feature["id"]), {"status": feature["properties"].get("status")},
                                        {"status": "removed"}, int(saved["properties"]["version"]))]))
        return saved

    # -- undoing ------------------------------------------------------------------------------------

    def undo(self) -> list[dict[str, Any]]:
        """Take the last step back (each asset at the version this session saved): the saved Features."""
        return self._replay(self.undo_steps, self.redo_steps, "before")

    def redo(self) -> list[dict[str, Any]]:
        return self._replay(self.redo_steps, self.undo_steps, "after")

    @property
    def can_undo(self) -> bool:
        return bool(self.undo_steps)

    @property
    def can_redo(self) -> bool:
        return bool(self.redo_steps)

    def _replay(self, source: list[Step], target: list[Step], side: str) -> list[dict[str, Any]]:
        if not source:
            return []
        step = source[-1]
        saved = []
        for edit in reversed(step.edits) if side == "before" else step.edits:
            feature = self.patch(edit.asset_id, getattr(edit, side), edit.version)  # Conflict: the step stays
            edit.version = int(feature["properties"]["version"])
            saved.append(feature)
        source.pop()
        target.append(step)
        return saved

    def _apply(self, feature: dict[str, Any], values: dict[str, Any], version: int | None) -> dict[str, Any]:
        return self.patch(int(feature["id"]), values, int(feature["properties"]["version"]) if version is None
                          else version)

    @staticmethod
    def _edit(feature: dict[str, Any], values: dict[str, Any], saved: dict[str, Any]) -> Edit:
        loaded = feature["properties"]
        before = {k: (feature.get("geometry") if k == GEOMETRY else loaded.get(k)) for k in values}
        return Edit(int(feature["id"]), before, dict(values), int(saved["properties"]["version"]))

    def _push(self, step: Step) -> None:
        self.undo_steps.append(step)
        self.redo_steps.clear()
