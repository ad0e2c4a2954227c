"""Closed months' figures stored with the stamp of their rows: reused while nothing changed, recomputed when
a meter reading of the month or the inventory changed, never stored for an open month; ``contract
close-month`` on the command line."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, text

from app.cli import build_cli, context, contract_cmd
from assets.db import unit_of_work
from assets.errors import ValidationError
from assets.live.records import Reading
from assets.live.writer import LiveWriter
from fieldservice.contract import stored
from fieldservice.contract.burning import PARIS
from tests.fieldservice.test_contract_energy import network  # noqa: F401 (two cabinets, one metered)

NOW = dt.datetime(2026, 12, 7, 10, tzinfo=dt.UTC)
START = dt.datetime(2026, 11, 1, tzinfo=PARIS)


def _readings(db_url: str, meter: int, kwh_per_h: float, hours: range) -> None:
    with LiveWriter(db_url) as writer:
        writer.write([Reading(meter, START + dt.timedelta(hours=h), {"energy_total_kwh": 100.0 + kwh_per_h * h},
                              source="modbus") for h in hours])


def _row(engine: Engine, month: str) -> tuple | None:
    with engine.connect() as conn:
        return conn.execute(text("SELECT figures, stamp, computed_at FROM contract_month_figures WHERE month = :m"),
                            {"m": month}).one_or_none()


def test_a_closed_month_is_stored_and_recomputed_when_its_rows_change(
        engine: Engine, db_url: str, network: dict[str, int]) -> None:  # noqa: F811
    _readings(db_url, network["CPT-M"], 0.5, range(-24, 24 * 31, 6))
    with unit_of_work(engine, None) as session:
        first = stored.month_figures(session, "2026-11", NOW)
    kept = _row(engine, "2026-11")
    assert kept is not None and kept.figures == first and first["energy"]["value"] is not None
    with unit_of_work(engine, None) as session:
        again = stored.month_figures(session, "2026-11", NOW)
    assert again == first and _row(engine, "2026-11").computed_at == kept.computed_at  # reused, not recomputed
    _readings(db_url, network["CPT-M"], 0.5, range(3, 24 * 30, 6))  # late readings of November: more rows
    with unit_of_work(engine, None) as session:
        stored.month_figures(session, "2026-11", NOW)
    assert _row(engine, "2026-11").stamp != kept.stamp
    with engine.begin() as conn:  # a lamp of the metered cabinet deleted: the baseline changes
        conn.execute(text("DELETE FROM assets WHERE code = 'LUM-1'"))
    with unit_of_work(engine, None) as session:
        changed = stored.month_figures(session, "2026-11", NOW)
    assert changed["energy"]["value"] != first["energy"]["value"]
    assert _row(engine, "2026-11").figures == changed


def test_an_open_month_is_computed_but_never_stored(engine: Engine, network: dict[str, int]) -> None:  # noqa: F811
    assert not stored.closed("2026-12", NOW) and not stored.closed("2026-11", dt.datetime(2026, 12, 2, tzinfo=PARIS))
    with unit_of_work(engine, None) as session:
        figures = stored.month_figures(session, "2026-12", NOW)
        assert figures["month"] == "2026-12" and _row(engine, "2026-12") is None
        with pytest.raises(ValidationError) as refused:
            stored.close_months(session, ["2026-12"], NOW)
    assert refused.value.errors[0].field == "month" and "not closed" in refused.value.errors[0].reason
    assert stored.last_closed(NOW, 3) == ["2026-09", "2026-10", "2026-11"]
    assert stored.last_closed(dt.datetime(2026, 12, 2, tzinfo=PARIS), 1) == ["2026-10"]


def test_close_month_on_the_command_line(engine: Engine, db_url: str, network: dict[str, int],  # noqa: F811
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    context.engine.cache_clear()
    cli, runner = build_cli(contract_cmd), CliRunner()
    try:
        done = runner.invoke(cli, ["contract", "close-month", "--month", "2026-10", "--month", "2026-11"])
        assert done.exit_code == 0, done.output
        assert "2026-10: energy" in done.output and "2026-11: energy" in done.output and "(computed)" in done.output
        again = runner.invoke(cli, ["contract", "close-month", "--month", "2026-11"])
        assert "stored, unchanged" in again.output, again.output
        forced = runner.invoke(cli, ["contract", "close-month", "--month", "2026-11", "--recompute"])
        assert "(computed)" in forced.output
        assert _row(engine, "2026-10") is not None
        refused = runner.invoke(cli, ["contract", "close-month", "--month", "2099-01"])
        assert refused.exit_code == 1 and "month" in refused.output and "not closed" in refused.output
    finally:
        context.engine.cache_clear()
