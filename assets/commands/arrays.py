"""PostgreSQL array literals for the set-based statements of commands: one text parameter per column
(``CAST(:ids AS int8[])``) instead of thousands of elements adapted one by one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable


def ints(values: Iterable[int | None]) -> str:
    return "{" + ",".join("NULL" if v is None else str(int(v)) for v in values) + "}"


def texts(values: Iterable[str | None]) -> str:
    return "{" + ",".join("NULL" if v is None else _quote(v) for v in values) + "}"


def times(values: Iterable[dt.datetime | None]) -> str:
    """Timestamps with their offset (ISO 8601: nothing to quote)."""
    return "{" + ",".join("NULL" if v is None else v.isoformat() for v in values) + "}"


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
