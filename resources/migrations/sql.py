"""SQL files that migrations execute (triggers and functions read better as SQL than as Python)."""

from __future__ import annotations

from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent / "sql"


def load_sql(name: str) -> str:
    """The text of ``resources/migrations/sql/NAME``."""
    return (SQL_DIR / name).read_text(encoding="utf-8")
