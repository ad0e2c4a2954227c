"""``citypilot report month``: the HTML (charts, map, no CDN), PDF, XLSX and CSV of a month with meters,
lamps, orders and heartbeats, in French and English."""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import Engine, text

from app.cli import build_cli, context, contract_cmd
from assets.live.records import Reading
from assets.live.writer import LiveWriter
from fieldservice.contract.burning import PARIS
from fieldservice.contract.heartbeats import Recorder
from tests.fieldservice.test_contract_energy import network  # noqa: F401 (two cabinets, one metered)
from tests.fieldservice.test_kpis import month  # noqa: F401 (the hand-made month of orders)

#: Hosts an http(s) URL of the page may name: SVG's namespace, Leaflet's attribution link and its source's comments.
#: Nothing is fetched from anywhere (no CDN script or style, no tiles).
NAMED_ONLY = {"www.w3.org", "leafletjs.com", "bugzilla.mozilla.org", "bugs.chromium.org"}


@pytest.mark.usefixtures("month")
def test_report_month_writes_every_file(engine: Engine, db_url: str, network: dict[str, int],  # noqa: F811
                                        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    start = dt.datetime(2026, 11, 1, tzinfo=PARIS)
    with LiveWriter(db_url) as writer:
        writer.write([Reading(network["CPT-M"], start + dt.timedelta(hours=6 * k),
                              {"energy_total_kwh": 200.0 + 3.0 * k}, source="modbus") for k in range(-4, 126)])
    with engine.begin() as conn:  # the cabinets' commune, named in the communes' table
        conn.execute(text("INSERT INTO communes (insee, name, geom) VALUES ('21231', 'Dijon', "
                          "ST_Multi(ST_Buffer(ST_SetSRID(ST_MakePoint(0, 0), 2154), 1)))"))
        conn.execute(text("UPDATE assets SET commune_insee = '21231' WHERE code IN ('ARM-M', 'ARM-N')"))
    recorder = Recorder(engine, {c: (lambda now: None) for c in ("ingest", "web", "broker", "database")})
    for m in range(5):
        recorder.beat(start.astimezone(dt.UTC) + dt.timedelta(minutes=m))
    monkeypatch.setenv("DATABASE_URL", db_url)
    context.engine.cache_clear()
    cli = build_cli(contract_cmd)
    try:
        for lang in ("en", "fr"):
            done = CliRunner().invoke(cli, ["report", "month", "2026-11", "--out", str(tmp_path), "--lang", lang])
            assert done.exit_code == 0, done.output
        bad = CliRunner().invoke(cli, ["report", "month", "2026-13", "--out", str(tmp_path)])
        assert bad.exit_code == 1 and "month" in bad.output and "YYYY-MM" in bad.output
    finally:
        context.engine.cache_clear()
    page = (tmp_path / "contract-2026-11-en.html").read_text()
    assert "Monthly contract report — 2026-11" in page and page.count("<svg") >= 3
    assert "L.circleMarker" in page and "Leaflet" in page  # the map, Leaflet inlined
    assert {m.group(1) for m in re.finditer(r"https?://([^/\s\"'<>)]+)", page)} <= NAMED_ONLY
    assert not re.search(r"<(script|link)[^>]+(src|href)\s*=\s*[\"']?(https?:)?//", page, re.I)
    assert "Data completeness" in page and "Method" in page and "NOT met" in page  # delays: 8 of 13
    assert "<td>Dijon</td><td>21231</td>" in page and "INSEE code" in page  # the commune by name, code beside
    assert "@media print" in page and "Energy performance contract" in page
    french = (tmp_path / "contract-2026-11-fr.html").read_text()
    assert "<td>Dijon</td><td>21231</td>" in french and "Code INSEE" in french
    assert "Rapport mensuel du contrat" in french and "Complétude des données" in french
    assert (tmp_path / "contract-2026-11-en.pdf").read_bytes().startswith(b"%PDF")
    book = load_workbook(tmp_path / "contract-2026-11-en.xlsx")
    assert book.sheetnames == ["clauses", "energy", "equipment", "it", "delays", "completeness"]
    clauses = [[c.value for c in row] for row in book["clauses"].iter_rows()]
    assert clauses[0] == ["Clause", "Figure", "Target", "Verdict"] and len(clauses) == 5
    energy = {row[0].value: row for row in book["energy"].iter_rows(min_row=2)}
    assert energy["ARM-M"][6].value == "measured" and energy["ARM-N"][6].value == "modelled"
    assert energy["ARM-M"][1].value == "21231" and energy["ARM-M"][2].value == "Dijon"
    assert book["delays"].max_row == 1 + 5  # the month's breaches at the real now (E2 overdue too)
    assert len(list(book["equipment"].iter_rows(min_row=2))) == 30  # one row per night
    with (tmp_path / "contract-2026-11-en-it.csv").open() as f:
        it = {r["component"]: r for r in csv.DictReader(f)}
    assert it["database"]["up_min"] == "5" and it["platform"]["up_min"] == "5"
