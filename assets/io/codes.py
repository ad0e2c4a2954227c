"""Codes made for survey rows that have none: ``LUM-{n:06d}`` numbered after the kind's highest code.

A template holds one ``{n}`` field (with an optional format such as ``06d``) between a fixed prefix
and suffix. Numbering starts after the highest number found in the codes of the kind that fit the
template (whatever their width) — in the inventory and in the file — so a generated code never
collides; the kind's code generation is serialised by a transaction-level advisory lock, so two
imports at once cannot hand out the same number.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from assets.errors import FieldError, ValidationError

_LOCK = "citypilot-codes:"


@dataclass(frozen=True)
class CodeTemplate:
    """A parsed code template."""

    template: str
    prefix: str
    suffix: str

    @classmethod
    def parse(cls, template: str) -> CodeTemplate:
        """``'LUM-{n:06d}'`` -> a template; ValidationError naming ``code-template`` otherwise."""
        try:
            parts = list(string.Formatter().parse(template))
        except ValueError as exc:
            raise _bad(template, str(exc)) from None
        fields = [(i, name, spec) for i, (_, name, spec, _) in enumerate(parts) if name is not None]
        if len(fields) != 1 or fields[0][1] != "n":
            raise _bad(template, "it needs exactly one {n} field, e.g. LUM-{n:06d}")
        index, _, spec = fields[0]
        if spec and not re.fullmatch(r"0?\d*d", spec):
            raise _bad(template, f"the format of {{n}} must make digits (such as 06d), not {spec!r}")
        prefix = "".join(p[0] for p in parts[: index + 1])
        suffix = "".join(p[0] for p in parts[index + 1:])
        if not (prefix + suffix).strip():
            raise _bad(template, "it needs a fixed part besides {n}, e.g. LUM-{n:06d}")
        return cls(template, prefix, suffix)

    @property
    def pattern(self) -> re.Pattern[str]:
        """Codes that fit the template, with the number as group 1."""
        return re.compile(rf"^{re.escape(self.prefix)}(\d+){re.escape(self.suffix)}$")

    def make(self, n: int) -> str:
        """The code numbered ``n``."""
        return self.template.format(n=n)

    def highest(self, codes: Iterable[str | None]) -> int:
        """The highest number among ``codes`` that fit the template (0 if none)."""
        pattern = self.pattern
        numbers = [int(m.group(1)) for c in codes if c and (m := pattern.match(str(c)))]
        return max(numbers, default=0)


def make_codes(session: Session, kind: str, template: CodeTemplate, count: int, file_codes: Iterable[str]) -> list[str]:
    """``count`` new codes of ``kind``: after the highest fitting code of the inventory and of
    ``file_codes``, skipping any code already taken. Holds the kind's code lock until commit."""
    if count == 0:
        return []
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": _LOCK + kind})
    like = template.prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    stored = session.execute(
        text("SELECT code FROM assets WHERE kind = :kind AND code LIKE :like"), {"kind": kind, "like": like}
    ).scalars()
    file_codes = set(file_codes)
    start = max(template.highest(stored), template.highest(file_codes)) + 1
    codes: list[str] = []
    n = start
    while len(codes) < count:
        wanted = [template.make(k) for k in range(n, n + count - len(codes))]
        taken = set(
            session.execute(
                text("SELECT code FROM assets WHERE kind = :kind AND code = ANY(:codes)"),
                {"kind": kind, "codes": wanted},
            ).scalars()
        ) | file_codes
        codes.extend(c for c in wanted if c not in taken)
        n += len(wanted)
    return codes


def _bad(template: str, reason: str) -> ValidationError:
    return ValidationError(FieldError("code-template", f"{template!r}: {reason}"))
