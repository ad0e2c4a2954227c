"""The proof of an intervention against the real database: checklists from the data file by the order's
kinds, presence measured from the on-site position, a crew's close refused until the checklist and the
presence are there, labour/parts/notes checked field by field, photos stored once by checksum, replays kept."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from assets.db import unit_of_work
from assets.errors import ValidationError
from assets.store import create_asset
from fieldservice import attachments, proof, replay, worklog
from fieldservice.orders import create_order, transition
from tests.assets.helpers import MINIMAL, near
from tests.fieldservice.helpers import crew, lighting_policy, user

#: The smallest valid JPEG: SOI, an APP0 segment, EOI — a real JPEG header, what the checks read.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def _asset(engine: Engine, kind: str, dx: float = 0.0) -> int:
    with unit_of_work(engine, None) as s:
        return create_asset(s, kind, {"code": f"{kind[:3].upper()}-{dx:04.0f}", "geom": near(dx, 0),
                                      **MINIMAL[kind]}).id


def _order(engine: Engine, *asset_ids: int) -> tuple[int, int, int]:
    """An assigned lighting order about ``asset_ids``; (order, supervisor, crew member)."""
    lighting_policy(engine)
    boss, member, crew_id = user(engine, "sup", "supervisor"), user(engine, "tech"), crew(engine)
    with unit_of_work(engine, boss) as s:
        order = create_order(s, origin="alarm", category="lighting", priority="urgent", actor_id=boss,
                             asset_ids=list(asset_ids)).id
        transition(s, order, "assigned", boss, crew_id=crew_id)
        transition(s, order, "en_route", member)
    return order, boss, member


def test_checklist_comes_from_the_kinds_of_the_order_in_both_languages(engine: Engine) -> None:
    order, _, _ = _order(engine, _asset(engine, "luminaire"), _asset(engine, "cabinet", 20))
    with unit_of_work(engine, None) as s:
        fr = worklog.work_record(s, order, "fr")["checklist"]
        en = worklog.work_record(s, order, "en")["checklist"]
    keys = [item["key"] for item in fr]
    assert keys[:2] == ["signage", "isolation"]  # the category's own items first
    assert {"luminaire_lit_test", "cabinet_breakers", "cabinet_closed"} <= set(keys)
    assert not any(k.startswith(("camera", "fibre", "head")) for k in keys)
    assert fr[0]["label"].startswith("Zone de travail") and en[0]["label"].startswith("Work zone")
    assert len(keys) == len(set(keys)) and all(not item["done"] for item in fr)


def test_presence_is_measured_from_the_assets(engine: Engine) -> None:
    order, _, _ = _order(engine, _asset(engine, "luminaire"))
    with unit_of_work(engine, None) as s:
        assert proof.presence(s, order, near(30, 40), None) == proof.Presence(50.0, True)
        assert proof.presence(s, order, near(400, 0), None) == proof.Presence(400.0, False)
        assert proof.presence(s, order, near(200, 0), 80).proven  # 150 m + the fix's 80 m
        assert not proof.presence(s, order, near(300, 0), 5000).proven  # a vague fix proves nothing
        assert proof.presence(s, order, None, None) == proof.Presence(None, False)


def test_a_crew_closes_only_with_the_checklist_ticked_and_a_far_arrival_is_flagged(engine: Engine) -> None:
    order, _, member = _order(engine, _asset(engine, "luminaire"))
    with unit_of_work(engine, member) as s:
        transition(s, order, "on_site", member, position=near(600, 0), accuracy_m=10)
    with unit_of_work(engine, member) as s, pytest.raises(ValidationError) as refused:
        transition(s, order, "done", member, require_proof=True)
    fields = {e.field: e.reason for e in refused.value.errors}
    assert list(fields) == ["checklist"]
    assert "signage" in fields["checklist"] and "luminaire_lit_test" in fields["checklist"]
    assert "luminaire_cleaned" not in fields["checklist"]  # not required
    with unit_of_work(engine, member) as s:
        record = worklog.work_record(s, order)
        assert record["presence"] == {"proven": False, "nearest_m": 600.0, "vehicle_came": False, "flagged": True}
        for key in [i["key"] for i in record["checklist"] if i["required"]]:
            worklog.tick(s, order, key, True, member, note="ok")
        transition(s, order, "waiting", member, reason="supplier")
        transition(s, order, "on_site", member, position=near(12, 5), accuracy_m=8)
    with unit_of_work(engine, member) as s:
        done = transition(s, order, "done", member, require_proof=True)
        assert done.state == "done"
        row = s.execute(text("SELECT distance_m, proven, accuracy_m FROM work_order_events WHERE order_id = :o "
                             "AND to_state = 'on_site' ORDER BY id DESC LIMIT 1"), {"o": order}).one()
        assert worklog.work_record(s, order)["presence"]["flagged"] is False
    assert (row.distance_m, row.proven, row.accuracy_m) == (13.0, True, 8.0)


def test_the_control_room_closes_without_proof_and_the_record_freezes(engine: Engine) -> None:
    order, boss, member = _order(engine, _asset(engine, "luminaire"))
    with unit_of_work(engine, boss) as s:
        transition(s, order, "on_site", boss)
        transition(s, order, "done", boss, reason="fault cleared by itself")
    with unit_of_work(engine, member) as s, pytest.raises(ValidationError) as frozen:
        worklog.add_note(s, order, "late note", member)
    assert frozen.value.errors[0].field == "state" and "done" in frozen.value.errors[0].reason


def test_labour_parts_and_notes_name_the_field_they_refuse(engine: Engine) -> None:
    order, _, member = _order(engine, _asset(engine, "luminaire"))
    t0 = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=3)
    cases = [
        (lambda s: worklog.add_labour(s, order, member, t0, t0 - dt.timedelta(minutes=5), member), "ended_at"),
        (lambda s: worklog.add_labour(s, order, member, t0, t0 + dt.timedelta(hours=17), member), "ended_at"),
        (lambda s: worklog.add_labour(s, order, member, t0.replace(tzinfo=None), t0, member), "started_at"),
        (lambda s: worklog.add_part(s, order, "LED-40W", 0, member), "quantity"),
        (lambda s: worklog.add_part(s, order, "LED-40W", "two", member), "quantity"),
        (lambda s: worklog.add_part(s, order, " ", 1, member), "reference"),
        (lambda s: worklog.add_note(s, order, "  ", member), "text"),
        (lambda s: worklog.tick(s, order, "no_such_item", True, member), "key"),
    ]
    for call, field in cases:
        with unit_of_work(engine, member) as s, pytest.raises(ValidationError) as refused:
            call(s)
        assert refused.value.errors[0].field == field, (field, refused.value)
    with unit_of_work(engine, member) as s:
        worklog.add_labour(s, order, member, t0, t0 + dt.timedelta(hours=1), member)
        worklog.add_part(s, order, "LED-40W", 2, member, label="Module LED 40 W")
        worklog.add_note(s, order, "Driver remplacé", member)
    with unit_of_work(engine, member) as s, pytest.raises(ValidationError) as overlap:
        worklog.add_labour(s, order, member, t0 + dt.timedelta(minutes=30), t0 + dt.timedelta(hours=2), member)
    assert overlap.value.errors[0].field == "started_at" and f"work order {order}" in str(overlap.value)
    with unit_of_work(engine, None) as s:
        record = worklog.work_record(s, order)
    assert record["labour"][0]["hours"] == 1.0 and record["parts"][0]["quantity"] == 2.0
    assert record["notes"][0]["text"] == "Driver remplacé" and record["notes"][0]["author"] == "tech"


def test_photos_are_checked_by_their_bytes_and_stored_once(engine: Engine, tmp_path: Path) -> None:
    order, _, member = _order(engine, _asset(engine, "luminaire"))
    with unit_of_work(engine, member) as s:
        first = attachments.store(s, tmp_path, order, "photo", JPEG, member, position=near(3, 3))
        second = attachments.store(s, tmp_path, order, "photo", JPEG, member)
        signature = attachments.store(s, tmp_path, order, "signature", PNG, member)
    files = sorted(p.name for p in (tmp_path / "attachments").rglob("*.*"))
    assert files == sorted({f"{first.sha256}.jpg", f"{signature.sha256}.png"}) and first.sha256 == second.sha256
    with unit_of_work(engine, None) as s:
        path, media = attachments.open_attachment(s, tmp_path, order, signature.id)
    assert (media, path.read_bytes()) == ("image/png", PNG)
    for data, kind, field in ((b"GIF89a....", "photo", "file"), (b"", "photo", "file"), (JPEG, "video", "kind"),
                              (b"\xff\xd8\xff" + b"\0" * attachments.MAX_BYTES, "photo", "file")):
        with unit_of_work(engine, member) as s, pytest.raises(ValidationError) as refused:
            attachments.store(s, tmp_path, order, kind, data, member)
        assert refused.value.errors[0].field == field


def test_a_replayed_action_keeps_its_first_answer(engine: Engine) -> None:
    order, _, member = _order(engine, _asset(engine, "luminaire"))
    with unit_of_work(engine, member) as s:
        replay.remember(s, order, "tab-1", member, 201, {"n": 1})
        replay.remember(s, order, "tab-1", member, 409, {"n": 2})
        assert replay.previous(s, order, "tab-1") == (201, {"n": 1})
        assert replay.previous(s, order, "tab-2") is None
    for bad in ("", " ", "x" * 65, "a\nb"):
        with pytest.raises(ValidationError):
            replay.check_client_id(bad)
