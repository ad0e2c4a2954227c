"""What the command line says when the database is not there or not set up: a sentence, not a trace."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from app.cli import build_cli, context, stats_cmd


def _stats(url: str, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    monkeypatch.setenv("DATABASE_URL", url)
    context.engine.cache_clear()
    try:
        result = CliRunner().invoke(build_cli(stats_cmd), ["stats"])
    finally:
        context.engine.cache_clear()
    return result.exit_code, result.output


def test_a_database_without_the_schema_says_how_to_set_it_up(empty_db_url: str,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    code, output = _stats(empty_db_url, monkeypatch)
    assert code == 1 and "Traceback" not in output
    assert "the database is not set up" in output and "citypilot db upgrade" in output


def test_an_unreachable_database_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    code, output = _stats("postgresql+psycopg://nobody:x@127.0.0.1:9/none?connect_timeout=2", monkeypatch)
    assert code == 1 and "Traceback" not in output
    assert "cannot reach the database" in output and "citypilot services up" in output
