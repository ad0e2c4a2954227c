"""The write path: validation errors name the field, history records every change, versions protect edits."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from assets.db import unit_of_work
from assets.errors import ConflictError, ValidationError
from assets.kinds import all_kinds
from assets.store import create_asset, history, retire_asset, update_asset
from tests.assets.helpers import MINIMAL, l93, line, near


def _fields(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, str]:
    return {e.field: e.reason for e in exc.value.errors}


def _make(session, kind: str, code: str, **extra):
    return create_asset(session, kind, {"code": code, "geom": near(), **MINIMAL[kind], **extra})


def test_every_kind_is_registered() -> None:
    assert all_kinds() == [
        "cabinet", "circuit", "pole", "luminaire", "signal_controller", "signal_head", "camera", "vehicle",
        "fibre_node", "fibre_segment", "sensor", "energy_meter", "building",
    ]


def test_create_records_author_commune_and_history(engine, planner_id) -> None:
    with unit_of_work(engine, planner_id) as s:
        cab = _make(s, "cabinet", "AR-1")
        assert (cab.version, cab.status, cab.commune_insee) == (1, "in_service", "21231")
        assert cab.created_by == planner_id and cab.updated_by == planner_id
        entries = history(s, cab.id)
    assert [(h.action, h.actor_name) for h in entries] == [("insert", "alice")]
    assert entries[0].after["contract_power_kva"] == 36
    assert entries[0].after["geom"].startswith("POINT")


@pytest.mark.parametrize(
    ("kind", "values", "field", "reason"),
    [
        ("luminaire", {"power_w": "abc"}, "power_w", "cannot read 'abc'"),
        ("luminaire", {"power_w": -5}, "power_w", "outside"),
        ("luminaire", {"luminaire_type": "spaceship"}, "luminaire_type", "is not one of"),
        ("luminaire", {"geom": l93(2.35, 48.85)}, "geom", "outside the territory"),
        ("luminaire", {"geom": line(near(), near(10))}, "geom", "expected Point"),
        ("circuit", {}, "parent_id", "missing"),
        ("signal_head", {}, "parent_id", "missing"),
        ("camera", {"camera_type": "dome9"}, "camera_type", "is not one of"),
        ("camera", {"camera_type": "tourelle 360"}, "camera_type", "fixed (fixe), ptz (dôme)"),
        ("fibre_segment", {}, "from_node_id", "missing"),
        ("sensor", {"dev_eui": None}, "dev_eui", "missing"),
        ("energy_meter", {"unit_id": 300}, "unit_id", "outside"),
        ("building", {"geom": line(near(), near(10))}, "geom", "expected Point or Polygon"),
        ("pole", {"code": " "}, "code", "missing"),
        ("pole", {"install_date": "31/02/2020"}, "install_date", "cannot read"),
        ("pole", {"version": 3}, "version", "computed by CityPilot"),
    ],
)
def test_validation_names_field_and_reason(engine, planner_id, kind, values, field, reason) -> None:
    record = {"code": f"{kind}-1", "geom": near(), **MINIMAL[kind], **values}
    with pytest.raises(ValidationError) as exc, unit_of_work(engine, planner_id) as s:
        create_asset(s, kind, record)
    assert field in _fields(exc)
    assert reason in _fields(exc)[field]


@pytest.mark.parametrize(
    ("kind", "values", "missing"),
    [
        ("luminaire", {"power_w": None, "is_led": None}, ["luminaire_type", "is_led", "power_w", "model"]),
        ("cabinet", {"contract_power_kva": None}, ["contract_power_kva"]),
        ("signal_controller", {"intersection": ""}, ["intersection"]),
        ("vehicle", {"plate": None}, ["plate", "vehicle_type"]),
        ("fibre_node", {"node_type": None}, ["node_type"]),
    ],
)
def test_what_a_complete_record_has_is_never_required(engine, planner_id, kind, values, missing) -> None:
    from assets.quality import incomplete_assets

    record = {"code": f"{kind}-1", "geom": near(), **MINIMAL[kind], **values}
    with unit_of_work(engine, planner_id) as s:
        asset = create_asset(s, kind, record)
        found = incomplete_assets(s, kind=kind)
    assert [(i["id"], i["missing"]) for i in found.items] == [(asset.id, missing)]


def test_french_choice_words_on_every_write_path(engine, planner_id) -> None:
    with unit_of_work(engine, planner_id) as s:
        asset = create_asset(s, "luminaire", {"code": "L-1", "geom": near(), **MINIMAL["luminaire"],
                                              "luminaire_type": "LUMINAIRE D'AMBIANCE"})
    assert asset.luminaire_type == "ambient"


def test_invalid_geometry_is_refused(engine, planner_id) -> None:
    from shapely.geometry import Polygon

    a, b = near(), near(50, 50)
    bowtie = Polygon([(a.x, a.y), (b.x, b.y), (b.x, a.y), (a.x, b.y)])
    with pytest.raises(ValidationError) as exc, unit_of_work(engine, planner_id) as s:
        _make(s, "building", "B-1", geom=bowtie)
    assert "invalid geometry" in _fields(exc)["geom"]


def test_references_must_exist_and_be_of_the_right_kind(engine, planner_id) -> None:
    with unit_of_work(engine, planner_id) as s:
        cab = _make(s, "cabinet", "AR-1")
    with pytest.raises(ValidationError) as exc, unit_of_work(engine, planner_id) as s:
        _make(s, "pole", "SUP-1", parent_id=cab.id)
    assert _fields(exc)["parent_id"] == f"asset {cab.id} is a cabinet, expected circuit"
    with pytest.raises(ValidationError) as exc, unit_of_work(engine, planner_id) as s:
        _make(s, "circuit", "C-1", parent_id=999999)
    assert _fields(exc)["parent_id"] == "asset 999999 does not exist"


def test_codes_unique_per_kind_and_dev_eui_unique_across_kinds(engine, planner_id) -> None:
    with unit_of_work(engine, planner_id) as s:
        _make(s, "sensor", "X-1")
        _make(s, "fibre_node", "X-1")  # same code, other kind: fine
    with pytest.raises(ValidationError) as exc, unit_of_work(engine, planner_id) as s:
        _make(s, "sensor", "X-1", dev_eui="70B3D57ED0000002")
    assert "already used" in _fields(exc)["code"]
    with pytest.raises(ValidationError) as exc, unit_of_work(engine, planner_id) as s:
        _make(s, "sensor", "X-2")
    assert "already used" in _fields(exc)["dev_eui"]


def test_update_with_stale_version_is_a_conflict(engine, planner_id) -> None:
    with unit_of_work(engine, planner_id) as s:
        asset_id = _make(s, "cabinet", "AR-1").id
    with unit_of_work(engine, planner_id) as s:  # first planner saves
        assert update_asset(s, asset_id, {"name": "Darcy"}, expected_version=1).version == 2
    with pytest.raises(ConflictError) as exc, unit_of_work(engine, planner_id) as s:  # second, stale
        update_asset(s, asset_id, {"name": "Liberté"}, expected_version=1)
    assert exc.value.current_version == 2
    with unit_of_work(engine, None) as s:
        name = s.execute(text("SELECT name FROM assets WHERE id = :i"), {"i": asset_id}).scalar()
    assert name == "Darcy"  # the first save is not lost


def test_concurrent_sessions_second_save_refused(engine, planner_id) -> None:
    """Both load version 1; the one that commits second is refused even though it passed its own check."""
    with unit_of_work(engine, planner_id) as s:
        asset_id = _make(s, "cabinet", "AR-1").id
    with unit_of_work(engine, planner_id) as s1:
        update_asset(s1, asset_id, {"name": "first"}, expected_version=1)
    with pytest.raises(ConflictError), unit_of_work(engine, planner_id) as s2:
        update_asset(s2, asset_id, {"name": "second"}, expected_version=1)


def test_update_history_has_before_after_and_changed_fields(engine, planner_id) -> None:
    with unit_of_work(engine, planner_id) as s:
        asset_id = _make(s, "luminaire", "L-1").id
    with unit_of_work(engine, planner_id) as s:
        update_asset(s, asset_id, {"power_w": "35,5", "geom": near(3, 4)}, expected_version=1)
    with unit_of_work(engine, planner_id) as s:
        retire_asset(s, asset_id)
        entries = history(s, asset_id)
    assert [h.action for h in entries] == ["insert", "update", "retire"]
    update = entries[1]
    assert update.changed == ["geom", "power_w"]
    assert (update.before["power_w"], update.after["power_w"]) == (40, 35.5)
    assert entries[2].changed == ["status"] and entries[2].after["status"] == "removed"


def test_retired_asset_stays_and_raw_sql_edits_are_audited(engine, planner_id) -> None:
    with unit_of_work(engine, planner_id) as s:
        asset_id = _make(s, "camera", "CAM-1").id
        retire_asset(s, asset_id)
    with engine.begin() as conn:  # a client bypassing CityPilot entirely
        conn.execute(text("UPDATE assets SET name = 'renamed by hand' WHERE id = :i"), {"i": asset_id})
        rows = conn.execute(
            text("SELECT action, actor_name, changed FROM asset_history WHERE asset_id = :i ORDER BY id"),
            {"i": asset_id},
        ).all()
        status = conn.execute(text("SELECT status FROM assets WHERE id = :i"), {"i": asset_id}).scalar()
    assert status == "removed"
    assert rows[-1][0] == "update" and rows[-1][1].startswith("db:") and rows[-1][2] == ["name"]


def test_children_cannot_hang_off_a_removed_parent(engine, planner_id) -> None:
    with unit_of_work(engine, planner_id) as s:
        cab = _make(s, "cabinet", "AR-1")
        retire_asset(s, cab.id)
    with pytest.raises(ValidationError) as exc, unit_of_work(engine, planner_id) as s:
        _make(s, "circuit", "C-1", parent_id=cab.id)
    assert "removed" in _fields(exc)["parent_id"]


def test_kind_cannot_change(engine, planner_id) -> None:
    with unit_of_work(engine, planner_id) as s:
        asset_id = _make(s, "pole", "SUP-1").id
    with pytest.raises(Exception, match="cannot change kind"), engine.begin() as conn:
        conn.execute(text("UPDATE assets SET kind = 'camera' WHERE id = :i"), {"i": asset_id})
