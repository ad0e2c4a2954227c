"""Record quality: which assets lack what a complete record of their kind has.

Completeness is read from the data each time (``KindSpec.complete``: an attribute is missing when it
is null), so it is never stale: filling ``power_w`` through any write path makes the asset complete.
Removed assets are left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from assets.kinds import all_kinds, spec_for
from assets.territory import commune_codes

MAX_LIMIT = 1000


@dataclass
class QualityPage:
    """One page of incomplete assets (by id), with counts over every match."""

    items: list[dict[str, Any]]
    total: int  # incomplete assets matching the filters
    missing: dict[str, dict[str, int]]  # kind -> attribute -> assets lacking it
    next_after: int | None  # the cursor of the next page, None on the last
    limit: int = 50
    assets: dict[str, int] = field(default_factory=dict)  # kind -> assets matching the filters


def _kinds(kind: str | None) -> list[str]:
    kinds = [kind] if kind else all_kinds()
    return [k for k in kinds if spec_for(k).complete]


def _where(session: Session, kind: str, communes: Sequence[str] | None) -> tuple[str, dict[str, Any]]:
    where = [f"kind = '{kind}'", "status <> 'removed'"]
    params: dict[str, Any] = {}
    if communes:
        params["communes"] = commune_codes(session, list(communes))
        where.append("commune_insee = ANY(:communes)")
    return " AND ".join(where), params


def incomplete_assets(
    session: Session, *, kind: str | None = None, commune: Sequence[str] | None = None,
    after_id: int | None = None, limit: int = 50,
) -> QualityPage:
    """Incomplete assets of ``kind`` (every kind if None) in ``commune`` (INSEE codes or names), by id
    after ``after_id``; each item says what it lacks. Unknown kind or commune: ValidationError."""
    limit = max(1, min(limit, MAX_LIMIT))
    parts, counts, params = [], {}, {"after": after_id or 0, "limit": limit + 1}
    assets: dict[str, int] = {}
    for name in _kinds(kind):
        complete = spec_for(name).complete
        where, extra = _where(session, name, commune)
        params.update(extra)
        lacking = " OR ".join(f"{f} IS NULL" for f in complete)
        array = ", ".join(f"CASE WHEN {f} IS NULL THEN '{f}' END" for f in complete)
        row = session.execute(
            text(
                f"SELECT count(*), count(*) FILTER (WHERE {lacking}), "
                + ", ".join(f"count(*) FILTER (WHERE {f} IS NULL)" for f in complete)
                + f" FROM assets WHERE {where}"
            ),
            extra,
        ).one()
        assets[name] = row[0]
        counts[name] = {"incomplete": row[1], **{f: n for f, n in zip(complete, row[2:], strict=True) if n}}
        parts.append(
            f"SELECT id, kind, code, name, commune_insee, array_remove(ARRAY[{array}], NULL) AS missing "
            f"FROM assets WHERE {where} AND ({lacking}) AND id > :after"
        )
    total = sum(c.pop("incomplete") for c in counts.values())
    items: list[dict[str, Any]] = []
    if parts:
        rows = session.execute(
            text(f"SELECT q.*, c.name AS commune FROM ({' UNION ALL '.join(parts)}) q "
                 "LEFT JOIN communes c ON c.insee = q.commune_insee AND c.valid_to IS NULL "
                 "ORDER BY q.id LIMIT :limit"),
            params,
        ).mappings().all()
        items = [
            {"id": r["id"], "kind": r["kind"], "code": r["code"], "name": r["name"],
             "commune_insee": r["commune_insee"], "commune": r["commune"], "missing": list(r["missing"])}
            for r in rows
        ]
    next_after = None
    if len(items) > limit:
        items = items[:limit]
        next_after = items[-1]["id"]
    return QualityPage(items, total, {k: v for k, v in counts.items() if v}, next_after, limit, assets)


def completeness(session: Session) -> dict[str, dict[str, Any]]:
    """Per kind (assets not removed): how many, how many complete, the complete share (None: no asset)."""
    out: dict[str, dict[str, Any]] = {}
    for name in all_kinds():
        complete = spec_for(name).complete
        lacking = " OR ".join(f"{f} IS NULL" for f in complete) or "false"
        total, incomplete = session.execute(
            text(f"SELECT count(*), count(*) FILTER (WHERE {lacking}) FROM assets "
                 f"WHERE kind = :kind AND status <> 'removed'"),
            {"kind": name},
        ).one()
        out[name] = {
            "assets": total, "complete": total - incomplete,
            "share": round((total - incomplete) / total, 3) if total else None,
        }
    return out
