"""What an import did: counts, reasons, the rejects file — for people (CLI) and programs (API)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_NUMBER = re.compile(r"(?<![\w./])-?\d+(?:\.\d+)?(?![\w./])")


def reason_key(field_name: str, reason: str) -> str:
    """A reason with its values blanked, to count rows by reason: ``power_w: '…' is outside 1..2000``."""
    text = _QUOTED.sub("'…'", reason)
    text = _NUMBER.sub("#", text)
    return f"{field_name}: {text}"


@dataclass
class ImportReport:
    """The outcome of one import. ``read == imported + rejected + duplicates``; every row not imported
    is in the rejects file with its reasons. ``errors`` counts rows per reason (a row may have several).

    ``codes_made`` rows got a code from ``code_template`` (first and last in ``code_range``);
    ``incomplete`` imported rows lack attributes a complete record has (``missing``: rows per
    attribute); ``unmapped`` counts, per choice field, the values of imported rows that named no choice (the field was
    left empty and the value kept in ``attrs.<field>_source``)."""

    path: Path
    kind: str
    format: str
    read: int
    imported: int
    rejected: int
    duplicates: int
    rejects_path: Path | None
    errors: dict[str, int]
    crs: str
    crs_source: str
    seconds: float
    dry_run: bool = False
    layer: str | None = None
    columns: dict[str, Any] = field(default_factory=dict)
    hints: list[str] = field(default_factory=list)
    codes_made: int = 0
    code_range: list[str] = field(default_factory=list)
    code_template: str = ""
    incomplete: int = 0
    missing: dict[str, int] = field(default_factory=dict)
    unmapped: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def errors_by_field(self) -> dict[str, int]:
        """Rows per field named in their reasons (``{'power_w': 5, 'code': 3, 'duplicate': 12}``)."""
        counts: Counter[str] = Counter()
        for key, n in self.errors.items():
            counts[key.split(":", 1)[0]] += n
        return dict(counts)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = str(self.path)
        data["rejects_path"] = str(self.rejects_path) if self.rejects_path else None
        data["errors_by_field"] = self.errors_by_field
        return data

    def lines(self) -> list[str]:
        """A human summary, one line each."""
        layer = f", layer {self.layer}" if self.layer else ""
        out = [f"{self.path.name} ({self.format}{layer}) as {self.kind}, CRS {self.crs} ({self.crs_source})"]
        columns = self.columns.get("columns") or {}
        if columns:
            out.append("columns: " + ", ".join(f"{s} -> {t}" for s, t in columns.items()))
        if self.columns.get("to_attrs"):
            out.append("to attrs: " + ", ".join(
                c if c == key else f"{c} -> attrs.{key}" for c, key in self.columns["to_attrs"].items()
            ))
        if self.columns.get("ignored"):
            out.append("ignored: " + ", ".join(f"{c} ({why})" for c, why in self.columns["ignored"].items()))
        verb = "would import" if self.dry_run else "imported"
        out.append(
            f"read {self.read}, {verb} {self.imported}, rejected {self.rejected}, "
            f"probable duplicates {self.duplicates} (not imported)"
        )
        for key, n in sorted(self.errors.items(), key=lambda kv: (-kv[1], kv[0])):
            out.append(f"  {n:>6}  {key}")
        if self.codes_made:
            span = " … ".join(self.code_range)
            out.append(f"codes made: {self.codes_made} ({span}, from {self.code_template})")
        if self.incomplete:
            lacking = ", ".join(f"{name} {n}" for name, n in self.missing.items())
            out.append(f"incomplete: {self.incomplete} imported without {lacking} (citypilot quality lists them)")
        for name, values in self.unmapped.items():
            listed = ", ".join(f"{v!r} ×{n}" for v, n in list(values.items())[:12])
            more = f" and {len(values) - 12} more" if len(values) > 12 else ""
            out.append(f"not understood, {name} left empty (kept in attrs.{name}_source): {listed}{more}")
        if self.rejects_path:
            out.append(f"rejects: {self.rejects_path}")
        out.extend(f"hint: {h}" for h in self.hints)
        if self.dry_run:
            out.append("dry run: nothing was written to the database")
        out.append(f"done in {self.seconds:.1f} s")
        return out
