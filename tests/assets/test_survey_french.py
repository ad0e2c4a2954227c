"""A city's first survey: points and a French lantern type, no code, no power, no LED flag.

Imported as a new user would (``citypilot import`` then ``citypilot quality``): every row is imported,
rejected or set aside as a duplicate with its reason; codes are made after the kind's highest without
colliding; French words read as choices; what could not be read is listed; incomplete records listed.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import text

from app.cli import build_cli, context, io_cmd, stats_cmd
from assets.db import unit_of_work
from assets.errors import ValidationError
from assets.io.codes import CodeTemplate
from assets.kinds import spec_for
from assets.quality import completeness, incomplete_assets
from assets.store import bulk_insert
from tests.assets.helpers import near
from tests.surveys import make_legacy_survey

EXISTING = ("LUM-000007", "LUM-004200", "LUM-X12", "EP-0099")


@pytest.fixture
def cli(db_url, monkeypatch) -> Iterator[click.Group]:
    monkeypatch.setenv("DATABASE_URL", db_url)
    context.engine.cache_clear()
    yield build_cli(io_cmd, stats_cmd)
    context.engine.cache_clear()


def _existing(engine) -> None:
    records = [
        {"code": code, "geom": near(-3000 - 40 * k, -2500), "is_led": True, "power_w": 36.0, "model": "Pilzeo",
         "luminaire_type": "street", "status": "in_service"}
        for k, code in enumerate(EXISTING)
    ]
    with unit_of_work(engine, None) as session:
        bulk_insert(session, "luminaire", records)


def test_french_survey_without_codes_imports_with_codes_made_and_gaps_listed(cli, engine, planner_id, tmp_path):
    _existing(engine)
    survey = make_legacy_survey(tmp_path)
    result = CliRunner().invoke(cli, ["import", str(survey.path), "-k", "luminaire", "--map", "TYPE=luminaire_type",
                                      "--user", "alice"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert (f"read {survey.read}, imported {survey.imported}, rejected {survey.rejected}, "
            f"probable duplicates {survey.duplicates} (not imported)") in out
    first, last = 4201, 4200 + survey.imported  # after the highest LUM-n, whatever its width
    assert f"codes made: {survey.imported} (LUM-{first:06d} … LUM-{last:06d}, from LUM-{{n:06d}})" in out
    assert f"incomplete: {survey.imported} imported without is_led {survey.imported}, power_w {survey.imported}" in out
    unmapped = re.search(r"not understood, luminaire_type left empty \(kept in attrs\.luminaire_type_source\): (.*)",
                         out)
    assert unmapped, out
    for word, n in survey.unmapped.items():
        assert f"{word!r} ×{n}" in unmapped.group(1)

    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT code, luminaire_type, is_led, power_w, attrs FROM assets WHERE kind = 'luminaire' "
            "AND created_by = :u"), {"u": planner_id}).all()
        codes = conn.execute(text("SELECT code FROM assets WHERE kind = 'luminaire'")).scalars().all()
    assert len(rows) == survey.imported and len(codes) == len(set(codes)) == survey.imported + len(EXISTING)
    assert sorted(r.code for r in rows) == [f"LUM-{n:06d}" for n in range(first, last + 1)]
    by_type: dict[str, int] = {}
    for r in rows:
        if r.luminaire_type:
            by_type[r.luminaire_type] = by_type.get(r.luminaire_type, 0) + 1
    assert by_type == survey.types  # LANTERNE, Encastré, BORNE COLONNE, LUMINAIRE AMBIANCE... read as choices
    kept = {}
    for r in rows:
        if "luminaire_type_source" in r.attrs:
            kept[r.attrs["luminaire_type_source"]] = kept.get(r.attrs["luminaire_type_source"], 0) + 1
    assert kept == survey.unmapped
    assert all(r.is_led is None and r.power_w is None for r in rows)

    rejects_path = survey.path.with_name("releve_ep.rejects.csv")
    with rejects_path.open(encoding="utf-8-sig") as f:
        rejects = list(csv.DictReader(f))
    reasons = [r["reject_reason"] for r in rejects]
    assert len(rejects) == survey.rejected + survey.duplicates
    assert sum(r.startswith("geom: outside the territory") for r in reasons) == survey.rejected
    assert sum(r.startswith("geom: probable duplicate of row") for r in reasons) == survey.duplicates

    quality = CliRunner().invoke(cli, ["quality", "--kind", "luminaire", "--limit", "5"])
    assert quality.exit_code == 0, quality.output
    assert f"incomplete: {survey.imported:,} of {survey.imported + len(EXISTING):,} assets" in quality.output
    assert f"power_w {survey.imported:,}" in quality.output
    listed = [line for line in quality.output.splitlines() if "LUM-00" in line]
    assert len(listed) == 5 and all("is_led, power_w, model" in line for line in listed)
    assert "next page: citypilot quality --kind luminaire --after" in quality.output

    as_json = json.loads(CliRunner().invoke(cli, ["quality", "-k", "luminaire", "--json", "--limit", "1000"]).output)
    after = as_json["next_after"]
    seen = {i["code"] for i in as_json["items"]}
    while after is not None:
        page = json.loads(CliRunner().invoke(
            cli, ["quality", "-k", "luminaire", "--json", "--limit", "1000", "--after", str(after)]).output)
        seen |= {i["code"] for i in page["items"]}
        after = page["next_after"]
    assert seen == {r.code for r in rows}  # every incomplete record once, none of the complete ones
    assert as_json["missing"]["luminaire"]["luminaire_type"] == survey.untyped


def test_quality_counts_follow_the_data_and_filters(engine, planner_id, tmp_path) -> None:
    _existing(engine)
    with unit_of_work(engine, planner_id) as session:
        bulk_insert(session, "luminaire", [
            {"code": "A-1", "geom": near(0, 0), "status": "in_service"},
            {"code": "A-2", "geom": near(9, 0), "status": "in_service", "is_led": False},
            {"code": "A-3", "geom": near(19, 0), "status": "removed"},
        ])
        page = incomplete_assets(session, kind="luminaire")
        assert [(i["code"], i["missing"], i["commune"]) for i in page.items] == [
            ("A-1", ["luminaire_type", "is_led", "power_w", "model"], "Dijon"),
            ("A-2", ["luminaire_type", "power_w", "model"], "Dijon"),
        ]
        assert page.missing == {"luminaire": {"luminaire_type": 2, "is_led": 1, "power_w": 2, "model": 2}}
        assert incomplete_assets(session, kind="luminaire", commune=["Chenôve"]).total == 0
        with pytest.raises(ValidationError, match="commune"):
            incomplete_assets(session, commune=["Atlantis"])
        share = completeness(session)["luminaire"]
        assert share == {"assets": 6, "complete": 4, "share": 0.667}
        session.execute(text("UPDATE assets SET luminaire_type = 'lantern', power_w = 70, model = 'X', is_led = false "
                             "WHERE code IN ('A-1', 'A-2')"))
        assert incomplete_assets(session, kind="luminaire").total == 0
        assert completeness(session)["luminaire"]["share"] == 1.0


def test_code_templates() -> None:
    template = CodeTemplate.parse("EP-{n:05d}/B")
    assert template.make(42) == "EP-00042/B"
    assert template.highest(["EP-00041/B", "EP-7/B", "EP-00041", None, "XEP-00099/B"]) == 41
    for bad, reason in [("EP-", "exactly one {n}"), ("{n}-{n}", "exactly one {n}"), ("{x:03d}", "exactly one {n}"),
                        ("EP-{n:.2f}", "must make digits"), ("{n:04d}", "fixed part"), ("EP-{n", "")]:
        with pytest.raises(ValidationError, match=rf"code-template: .*{re.escape(reason)}"):
            CodeTemplate.parse(bad)


def test_code_template_option_and_french_words_of_other_kinds(cli, engine, planner_id, tmp_path) -> None:
    path = tmp_path / "cameras.csv"
    path.write_text("x;y;Type\n853700;6693400;Dôme\n853750;6693450;FIXE\n853800;6693500;caméra thermique\n",
                    encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", str(path), "-k", "camera", "--crs", "EPSG:2154", "--map",
                                      "Type=camera_type", "--code-template", "VID-{n:03d}", "--user", "alice"])
    assert result.exit_code == 0, result.output
    assert "codes made: 3 (VID-001 … VID-003, from VID-{n:03d})" in result.output
    with engine.connect() as conn:
        types = dict(conn.execute(text("SELECT code, camera_type FROM assets WHERE kind = 'camera'")).all())
    assert types == {"VID-001": "ptz", "VID-002": "fixed", "VID-003": None}
    bad = CliRunner().invoke(cli, ["import", str(path), "-k", "camera", "--crs", "EPSG:2154", "--code-template", "X"])
    assert bad.exit_code == 1 and bad.output.startswith("error: code-template: 'X': it needs exactly one {n}")


def test_french_words_are_documented_per_kind() -> None:
    """docs/SURVEYS.md lists, per kind, every choice with the French words an import understands."""
    from assets.io.survey_words import needs_table, words_tables

    doc = (Path(__file__).resolve().parents[2] / "docs" / "SURVEYS.md").read_text(encoding="utf-8")
    assert words_tables() in doc, "docs/SURVEYS.md is stale: paste the output of python -m assets.io.survey_words"
    assert needs_table() in doc, "docs/SURVEYS.md is stale: paste the output of python -m assets.io.survey_words"
    assert "| lantern | lantern | lanterne" in doc


def test_no_french_word_names_two_choices() -> None:
    from assets.kinds import all_kinds, choice_key

    for kind in all_kinds():
        spec = spec_for(kind)
        for name, values in spec.choices.items():
            seen: dict[str, str] = {}
            for value in values:
                for word in (value, *spec.choice_words.get(name, {}).get(value, ())):
                    key = choice_key(word)
                    assert seen.setdefault(key, value) == value, (kind, name, word, seen[key], value)
                    assert spec.read_choice(name, word.upper()) == value
