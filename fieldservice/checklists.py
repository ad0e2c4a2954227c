"""Checklists of work orders, from a data file (``resources/checklists/checklists.json``, FR/EN labels).

An order gets its category's ``every`` items, then those of each kind of its assets for that category, each
key once, in the file's order. A city edits the file (or points ``CITYPILOT_CHECKLISTS`` at its own);
orders keep the checklist they were opened with.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from assets.errors import FieldError, ValidationError

ENV = "CITYPILOT_CHECKLISTS"


@dataclass(frozen=True)
class ChecklistItem:
    """One thing to do and tick on site."""

    key: str
    fr: str
    en: str
    required: bool

    def label(self, lang: str) -> str:
        return self.fr if lang == "fr" else self.en


def _item(raw: Any, where: str) -> ChecklistItem:
    if not isinstance(raw, dict):
        raise ValidationError(FieldError(where, "expected an object with key, fr, en, required"))
    for name in ("key", "fr", "en"):
        if not isinstance(raw.get(name), str) or not raw[name].strip():
            raise ValidationError(FieldError(f"{where}.{name}", "missing or empty"))
    return ChecklistItem(raw["key"], raw["fr"], raw["en"], bool(raw.get("required", False)))


def parse_catalogue(data: Any, source: str) -> dict[str, dict[str, list[ChecklistItem]]]:
    """``{category: {"every" | kind: [items]}}`` from the file's JSON; ValidationError naming a bad entry."""
    categories = data.get("categories") if isinstance(data, dict) else None
    if not isinstance(categories, dict):
        raise ValidationError(FieldError("categories", f"{source}: expected an object of categories"))
    return {
        category: {group: [_item(raw, f"{source}: categories.{category}.{group}[{i}]") for i, raw in enumerate(items)]
                   for group, items in (groups or {}).items()}
        for category, groups in categories.items()
    }


@lru_cache(maxsize=4)
def _load(path: str | None) -> dict[str, dict[str, list[ChecklistItem]]]:
    if path is None:
        raw, source = resources.files("resources").joinpath("checklists/checklists.json").read_text(), "checklists.json"
    else:
        raw, source = Path(path).read_text(), path
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ValidationError(FieldError("checklists", f"{source}: not JSON ({exc})")) from None
    return parse_catalogue(data, source)


def catalogue() -> dict[str, dict[str, list[ChecklistItem]]]:
    """The checklists in force (the city's file if ``CITYPILOT_CHECKLISTS`` names one)."""
    return _load(os.environ.get(ENV) or None)


def items_for(category: str, kinds: list[str]) -> list[ChecklistItem]:
    """The checklist of an order of ``category`` about assets of ``kinds``."""
    groups = catalogue().get(category, {})
    chosen: dict[str, ChecklistItem] = {}
    for group in ("every", *kinds):
        for item in groups.get(group, []):
            chosen.setdefault(item.key, item)
    return list(chosen.values())


def ensure_checklist(session: Session, order_id: int) -> None:
    """Give an order its checklist once (at opening; orders older than checklists get it on first use)."""
    if session.execute(text("SELECT 1 FROM work_order_checklist WHERE order_id = :o LIMIT 1"), {"o": order_id}).first():
        return
    row = session.execute(text(
        "SELECT o.category, array_remove(array_agg(DISTINCT a.kind ORDER BY a.kind), NULL) AS kinds "
        "FROM work_orders o LEFT JOIN work_order_assets wa ON wa.order_id = o.id "
        "LEFT JOIN assets a ON a.id = wa.asset_id WHERE o.id = :o GROUP BY o.category"), {"o": order_id}).first()
    if row is None:
        return
    items = items_for(row.category, list(row.kinds or []))
    if items:
        session.execute(text(
            "INSERT INTO work_order_checklist (order_id, key, position, label_fr, label_en, required) "
            "VALUES (:o, :key, :position, :fr, :en, :required) ON CONFLICT DO NOTHING"),
            [{"o": order_id, "key": item.key, "position": i, "fr": item.fr, "en": item.en, "required": item.required}
             for i, item in enumerate(items)])
