"""The command domain: the state machine (every transition, allowed or not, in memory and in the
database), giving commands and checking them, the two-person rule, cancellation, timeouts and retries
with back-off, verification rules, the audit and the figures."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from sqlalchemy import Engine, text

from assets.commands import progress
from assets.commands.progress import Policy
from assets.commands.service import (
    Move,
    apply_moves,
    cancel_command,
    confirm_command,
    create_command,
    expire_unconfirmed,
)
from assets.commands.states import (
    COMMAND_STATES,
    TARGET_STATES,
    InvalidTransition,
    backoff_s,
    check_command_transition,
    check_target_transition,
    summary_state,
)
from assets.commands.verify import Report, judge
from assets.commands.views import command_dict, command_log, command_page
from assets.db import unit_of_work
from assets.errors import ConflictError, PermissionDenied, ValidationError
from assets.stats import inventory_stats
from assets.store import create_asset, retire_asset
from assets.users import create_user, disable_user
from connectors.lorawan.codecs import CodecError, LampCommand
from tests.assets.helpers import DARCY, MINIMAL, near

# The expected machines, written out by hand (not read from the code): ``x`` = allowed.
TARGET_MATRIX = """
from \\ to    queued sent acknowledged verified failed timed_out cancelled
queued        .      x    .            .        x      x         x
sent          .      .    x            .        x      x         x
acknowledged  .      .    .            x        x      x         .
verified      .      .    .            .        .      .         .
failed        .      .    .            .        .      .         .
timed_out     x      .    .            .        .      .         .
cancelled     .      .    .            .        .      .         .
"""
COMMAND_MATRIX = """
from \\ to             awaiting_confirmation running done partly_failed failed cancelled
awaiting_confirmation  .                     x       .    .             .      x
running                .                     .       x    x             x      x
done                   .                     .       .    .             .      .
partly_failed          .                     .       .    .             .      .
failed                 .                     .       .    .             .      .
cancelled              .                     .       .    .             .      .
"""


def _matrix(text_: str) -> dict[tuple[str, str], bool]:
    header, *rows = text_.strip().splitlines()
    columns = header.split()[3:]  # after "from \ to"
    out = {}
    for row in rows:
        state, *cells = row.split()
        out.update({(state, to): cell == "x" for to, cell in zip(columns, cells, strict=True)})
    return out


def test_every_target_transition_allowed_or_not() -> None:
    matrix = _matrix(TARGET_MATRIX)
    assert {s for s, _ in matrix} == set(TARGET_STATES)
    for (old, new), allowed in matrix.items():
        if allowed:
            check_target_transition(old, new)
        else:
            with pytest.raises(InvalidTransition, match=f"from {old} to {new}"):
                check_target_transition(old, new)
    with pytest.raises(InvalidTransition, match="no state 'lost'"):
        check_target_transition("queued", "lost")


def test_every_command_transition_allowed_or_not() -> None:
    matrix = _matrix(COMMAND_MATRIX)
    assert {s for s, _ in matrix} == set(COMMAND_STATES)
    for (old, new), allowed in matrix.items():
        if allowed:
            check_command_transition(old, new)
        else:
            with pytest.raises(InvalidTransition):
                check_command_transition(old, new)


def test_summary_state_and_backoff() -> None:
    assert summary_state("running", {"verified": 3, "sent": 1}) == "running"
    assert summary_state("running", {"verified": 3}) == "done"
    assert summary_state("running", {"verified": 2, "failed": 1}) == "partly_failed"
    assert summary_state("running", {"timed_out": 2, "failed": 1}) == "failed"
    assert summary_state("awaiting_confirmation", {"queued": 1}) == "awaiting_confirmation"
    assert summary_state("cancelled", {"verified": 1, "acknowledged": 1}) == "cancelled"
    assert [backoff_s(n, 2.0, 10.0) for n in (1, 2, 3, 4, 5)] == [2.0, 4.0, 8.0, 10.0, 10.0]


def test_verification_rules() -> None:
    t0 = dt.datetime(2026, 12, 1, 21, tzinfo=dt.UTC)
    after, before = t0 + dt.timedelta(seconds=2), t0 - dt.timedelta(seconds=1)
    assert judge("dim", {"level": 50}, t0, None) is None
    assert judge("dim", {"level": 50}, t0, Report(before, 100)) is None  # crossed the command: not after the ack
    assert judge("dim", {"level": 50}, t0, Report(t0, 50.0)).state == "verified"  # the uplink the ack rides on
    assert judge("dim", {"level": 50}, t0, Report(after, 51)).state == "verified"  # within the tolerance
    failed = judge("dim", {"level": 50}, t0, Report(after, 100))
    assert (failed.state, failed.detail) == ("failed", "reported dim 100 after acknowledging 50")
    assert judge("switch", {"on": False}, t0, Report(after, False)).detail == "contactor read back off"
    assert judge("switch", {"on": True}, t0, Report(after, "tripped")).detail == \
        "contactor read back 'tripped' after acknowledging switch on"
    assert judge("flash", {}, t0, Report(after, "flashing")).state == "verified"
    assert judge("normal", {}, t0, Report(after, "flashing")).detail == \
        "reported mode flashing after acknowledging normal"
    assert judge("reboot", {}, t0, Report(t0 + dt.timedelta(seconds=6), 2)).state == "verified"
    assert judge("reboot", {}, t0, Report(after, 86_400)).state == "failed"


def test_lamp_command_codec_round_trips_and_refuses_what_is_not_a_command() -> None:
    assert LampCommand.dim_to(50).encode() == bytes([1, 50, 0, 0])
    assert LampCommand.dim_to(0).encode() == bytes([0, 0, 0, 0])
    assert LampCommand.decode(bytes([1, 30, 0, 90])) == LampCommand(True, 30, 90)
    assert LampCommand.decode(bytes([0xFF, 0, 0, 0])).on is None  # back to the schedule
    with pytest.raises(CodecError, match="fPort 11, not 10"):
        LampCommand.decode(bytes(4), 10)
    with pytest.raises(CodecError, match="expected 4 bytes"):
        LampCommand.decode(bytes(3))
    with pytest.raises(CodecError, match="not a command"):
        LampCommand.decode(bytes([2, 50, 0, 0]))


# -- in the database ----------------------------------------------------------------------------------
@pytest.fixture
def city(engine: Engine) -> dict[str, int]:
    """People of each role and a few devices: a circuit of three lamps (one without a controller, one
    removed), a signal controller, a camera, a cabinet."""
    ids: dict[str, int] = {}
    with unit_of_work(engine, None) as session:
        for name, role in (("olga", "operator"), ("otto", "operator"), ("sam", "supervisor"), ("carl", "crew"),
                           ("pat", "planner"), ("gone", "operator")):
            ids[name] = create_user(session, name, role).id
        disable_user(session, "gone")
    with unit_of_work(engine, ids["pat"]) as session:
        def make(kind: str, code: str, dx: float | None, **values: Any) -> int:
            ids[code] = create_asset(session, kind, {**MINIMAL[kind], "code": code,
                                                     "geom": None if dx is None else near(dx, 2), **values}).id
            return ids[code]

        cabinet = make("cabinet", "ARM-1", 0)
        circuit = make("circuit", "ARM-1-D1", None, parent_id=cabinet)
        for i, eui in enumerate(("70B3D59BE0000001", None, "70B3D59BE0000003"), start=1):
            pole = make("pole", f"SUP-{i}", 40 * i, parent_id=circuit)
            make("luminaire", f"LUM-{i}", 40 * i, parent_id=pole, **({"dev_eui": eui} if eui else {}))
        retire_asset(session, ids["LUM-3"])
        make("signal_controller", "CRF-1", 500)
        make("camera", "CAM-1", 520)
        make("luminaire", "LUM-PLANNED", 600, status="planned", dev_eui="70B3D59BE0000009")
    return ids


def _give(engine: Engine, ids: dict[str, int], user: str, action: str, params: dict | None, target: dict) -> int:
    with unit_of_work(engine, ids[user]) as session:
        return create_command(session, ids[user], action, params, target).id


def _data(engine: Engine, command_id: int) -> dict[str, Any]:
    with unit_of_work(engine, None) as session:
        return command_dict(session, command_id)


def test_giving_a_command_checks_who_what_and_where(engine: Engine, city: dict[str, int]) -> None:
    def refused(user: str, action: Any, params: Any, target: Any) -> list[str]:
        with pytest.raises((ValidationError, PermissionDenied)) as caught, unit_of_work(engine, city[user]) as session:
            create_command(session, city[user], action, params, target)
        exc = caught.value
        return [str(e) for e in exc.errors] if isinstance(exc, ValidationError) else [str(exc)]

    lamp = city["LUM-1"]
    assert refused("carl", "dim", {"level": 5}, {"asset_ids": [lamp]}) == [
        "sending a command: the role crew may not (only admin, supervisor, operator)"]
    assert refused("pat", "dim", {"level": 5}, {"asset_ids": [lamp]})[0].endswith("the role planner may not "
                                                                                  "(only admin, supervisor, operator)")
    assert "disabled" in refused("gone", "dim", {"level": 5}, {"asset_ids": [lamp]})[0]
    assert refused("olga", "dim", {}, {"asset_ids": [lamp]}) == ["params.level: missing: the dim level in % (0..100)"]
    assert refused("olga", "dim", {"level": 50.5, "speed": 2}, {"asset_ids": [lamp]}) == [
        "params.level: expected a whole number of %, got 50.5", "params.speed: unknown parameter for dim"]
    assert refused("olga", "reboot", None, {"asset_ids": [lamp, city["CAM-1"], 0]}) == [
        "target.asset_ids[0]: LUM-1 is a luminaire: reboot applies to cameras (a luminaire takes dim)",
        "target.asset_ids[2]: asset 0 does not exist"]
    assert refused("olga", "dim", {"level": 5}, {"asset_ids": [city["LUM-2"]]}) == [
        "target.asset_ids[0]: LUM-2 has no lamp controller (no DevEUI): it cannot be commanded"]
    assert refused("olga", "dim", {"level": 5}, {"asset_ids": [city["LUM-PLANNED"]]}) == [
        "target.asset_ids[0]: LUM-PLANNED is planned: only assets in service take commands"]
    assert refused("olga", "dim", {"level": 5}, {"circuit_id": city["ARM-1"]}) == [
        "target.circuit_id: ARM-1 is a cabinet, not a circuit"]
    assert refused("olga", "dim", {"level": 5}, {"asset_ids": [lamp], "circuit_id": city["ARM-1-D1"]}) == [
        "target: give exactly one of asset_ids, circuit_id, polygon"]
    assert refused("olga", "switch", {"on": True}, {"polygon": {"type": "Point", "coordinates": [5, 47]},
                                                    "kind": "cabinet"}) == [
        "target.polygon: expected a GeoJSON Polygon or MultiPolygon (WGS84 lon/lat)"]

    circuit = _give(engine, city, "olga", "dim", {"level": 40}, {"circuit_id": city["ARM-1-D1"]})
    data = _data(engine, circuit)
    assert [t["code"] for t in data["targets"]] == ["LUM-1"]  # LUM-2 has no controller, LUM-3 is removed
    assert data["target"]["skipped"] == 1 and data["state"] == "running" and not data["needs_confirmation"]

    lon, lat = DARCY
    square = {"type": "Polygon", "coordinates": [[[lon - 0.01, lat - 0.01], [lon + 0.01, lat - 0.01],
                                                  [lon + 0.01, lat + 0.01], [lon - 0.01, lat + 0.01],
                                                  [lon - 0.01, lat - 0.01]]]}
    inside = _data(engine, _give(engine, city, "sam", "dim", {"level": 0}, {"polygon": square, "kind": "luminaire"}))
    assert [t["code"] for t in inside["targets"]] == ["LUM-1"] and inside["target"]["kind"] == "luminaire"


def test_the_two_person_rule(engine: Engine, city: dict[str, int]) -> None:
    command_id = _give(engine, city, "olga", "flash", None, {"asset_ids": [city["CRF-1"]]})
    assert _data(engine, command_id)["state"] == "awaiting_confirmation"
    with unit_of_work(engine, None) as session:
        assert progress.claim_due(session) == []  # the worker sees nothing to send
    for who, message in (("olga", "cannot confirm it"), ("carl", "role crew may not"), ("gone", "disabled")):
        with pytest.raises(PermissionDenied, match=message), unit_of_work(engine, city[who]) as session:
            confirm_command(session, command_id, city[who])
    with unit_of_work(engine, city["otto"]) as session:
        confirm_command(session, command_id, city["otto"])
    data = _data(engine, command_id)
    assert data["state"] == "running" and data["confirmed_by"] == "otto" and data["confirmed_at"]
    with pytest.raises(ConflictError, match="running: nothing to confirm"), unit_of_work(engine, city["sam"]) as s:
        confirm_command(s, command_id, city["sam"])
    with unit_of_work(engine, None) as session:
        assert [d.code for d in progress.claim_due(session)] == ["CRF-1"]


def test_a_command_nobody_confirms_expires(engine: Engine, city: dict[str, int]) -> None:
    stale = _give(engine, city, "olga", "flash", None, {"asset_ids": [city["CRF-1"]]})
    fresh = _give(engine, city, "olga", "normal", None, {"asset_ids": [city["CRF-1"]]})
    with engine.begin() as conn:
        conn.execute(text("UPDATE commands SET requested_at = requested_at - interval '16 minutes' WHERE id = :id"),
                     {"id": stale})
    with engine.connect() as confirming:  # a second person confirming it right now holds its row
        confirming.execute(text("SELECT 1 FROM commands WHERE id = :id FOR UPDATE"), {"id": stale})
        with unit_of_work(engine, None) as session:
            session.execute(text("SET LOCAL lock_timeout = '2s'"))  # fail, not hang, if it waited for the row
            assert expire_unconfirmed(session, Policy().confirmation_wait_s) == []  # left to the confirmation
        confirming.rollback()
    with unit_of_work(engine, None) as session:
        assert expire_unconfirmed(session, Policy().confirmation_wait_s) == [stale]
    data = _data(engine, stale)
    assert data["state"] == "cancelled" and data["cancelled_by"] is None
    assert [t["state"] for t in data["targets"]] == ["cancelled"]
    with unit_of_work(engine, None) as session:
        entries, _ = command_log(session, stale)
    assert entries[-1]["actor"] == "worker" and entries[-1]["detail"] == "expired: nobody confirmed it within 15 min"
    with pytest.raises(ConflictError, match="cancelled: nothing to confirm"), unit_of_work(engine, city["otto"]) as s:
        confirm_command(s, stale, city["otto"])
    assert _data(engine, fresh)["state"] == "awaiting_confirmation"  # 15 minutes are not over for this one
    with unit_of_work(engine, None) as session:
        assert expire_unconfirmed(session, Policy().confirmation_wait_s) == []


def _put(engine: Engine, command_id: int, asset_id: int, state: str, **columns: Any) -> None:
    sets = ", ".join(f"{k} = :{k}" for k in ("state", *columns))
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE command_targets SET {sets} WHERE command_id = :c AND asset_id = :a"),
                     {"state": state, **columns, "c": command_id, "a": asset_id})


def test_every_transition_in_the_database(engine: Engine, city: dict[str, int]) -> None:
    """Each allowed move changes the row and writes an audit line; each forbidden one is refused and
    changes nothing; a move from a state the target has left is skipped (the worker and a person crossing)."""
    lamp = city["LUM-1"]
    matrix = _matrix(TARGET_MATRIX)
    for (old, new), allowed in matrix.items():
        command_id = _give(engine, city, "olga", "dim", {"level": 10}, {"asset_ids": [lamp]})
        _put(engine, command_id, lamp, old)
        move = Move(command_id, lamp, old, new, f"{old} to {new}",
                    ack_ts=dt.datetime.now(dt.UTC) if new == "acknowledged" else None)
        with unit_of_work(engine, None) as session:
            if allowed:
                assert apply_moves(session, [move]) == [move]
            else:
                with pytest.raises(InvalidTransition):
                    apply_moves(session, [move])
        data = _data(engine, command_id)
        assert data["targets"][0]["state"] == (new if allowed else old), (old, new)
        with unit_of_work(engine, None) as session:
            log, _ = command_log(session, command_id)
        moved = [(e["from_state"], e["to_state"], e["actor"]) for e in log if e["asset_id"] == lamp][1:]
        assert moved == ([(old, new, "worker")] if allowed else []), (old, new)
    command_id = _give(engine, city, "olga", "dim", {"level": 10}, {"asset_ids": [lamp]})
    with unit_of_work(engine, None) as session:  # still queued: a move from "sent" is not applied
        assert apply_moves(session, [Move(command_id, lamp, "sent", "acknowledged")]) == []


def test_timeouts_retry_with_backoff_within_the_attempts(engine: Engine, city: dict[str, int]) -> None:
    lamp = city["LUM-1"]
    policy = Policy(ack_timeout_s={"tts": 5.0}, backoff_base_s=2.0, backoff_max_s=60.0)
    command_id = _give(engine, city, "olga", "dim", {"level": 10}, {"asset_ids": [lamp]})
    for attempt in (1, 2, 3):
        with unit_of_work(engine, None) as session:
            [due] = progress.claim_due(session)
            at = progress.now(session)
            assert due.attempts == attempt - 1
            progress.apply(session, [progress.sent(due, "tts", f"m{attempt}", at, policy)])
        later = at + dt.timedelta(seconds=6)
        with unit_of_work(engine, None) as session:
            progress.apply(session, progress.expired(session, later, policy))
        data = _data(engine, command_id)
        target = data["targets"][0]
        if attempt < 3:
            assert target["state"] == "queued" and target["attempts"] == attempt
            assert target["detail"] == f"no acknowledgement within 5 s; retry {attempt + 1} of 3 in " \
                                       f"{backoff_s(attempt, 2.0, 60.0):g} s"
            with unit_of_work(engine, None) as session:
                assert progress.claim_due(session) == []  # not before the back-off
            with engine.begin() as conn:
                next_at = conn.execute(text("SELECT next_attempt_at FROM command_targets WHERE command_id = :c"),
                                       {"c": command_id}).scalar_one()
                assert abs((next_at - later).total_seconds() - backoff_s(attempt, 2.0, 60.0)) < 0.01
                conn.execute(text("UPDATE command_targets SET next_attempt_at = now() WHERE command_id = :c"),
                             {"c": command_id})
    assert (target["state"], target["attempts"]) == ("timed_out", 3)
    assert target["detail"] == "no acknowledgement within 5 s (attempt 3 of 3)"
    assert data["state"] == "failed"


def test_cancelling_keeps_what_is_done_and_follows_what_was_acknowledged(engine: Engine, city: dict[str, int]) -> None:
    command_id = _give(engine, city, "olga", "dim", {"level": 10}, {"circuit_id": city["ARM-1-D1"]})
    other = _give(engine, city, "olga", "reboot", None, {"asset_ids": [city["CAM-1"]]})
    lamp = city["LUM-1"]
    _put(engine, command_id, lamp, "acknowledged", ack_ts=dt.datetime.now(dt.UTC))
    with unit_of_work(engine, city["sam"]) as session:
        cancel_command(session, command_id, city["sam"], "test")
        cancel_command(session, other, city["sam"])
    assert _data(engine, command_id)["targets"][0]["state"] == "acknowledged"  # the device took it: still verified
    with unit_of_work(engine, None) as session:
        apply_moves(session, [Move(command_id, lamp, "acknowledged", "verified", "reported dim 10")])
    data = _data(engine, command_id)
    assert data["state"] == "cancelled" and data["counts"]["verified"] == 1 and data["cancelled_by"] == "sam"
    camera = _data(engine, other)
    assert camera["counts"]["cancelled"] == 1 and camera["targets"][0]["detail"] == "cancelled by sam"
    with pytest.raises(ConflictError, match="already cancelled"), unit_of_work(engine, city["olga"]) as session:
        cancel_command(session, other, city["olga"])
    with pytest.raises(PermissionDenied), unit_of_work(engine, city["carl"]) as session:
        cancel_command(session, command_id, city["carl"])


def test_audit_pages_and_figures(engine: Engine, city: dict[str, int]) -> None:
    ids = [_give(engine, city, "olga", "reboot", None, {"asset_ids": [city["CAM-1"]]}) for _ in range(3)]
    flash = _give(engine, city, "otto", "flash", None, {"asset_ids": [city["CRF-1"]]})
    with unit_of_work(engine, city["sam"]) as session:
        confirm_command(session, flash, city["sam"])
        cancel_command(session, ids[0], city["sam"])
    with unit_of_work(engine, None) as session:
        first, total, after = command_page(session, limit=2)
        second, _, last = command_page(session, limit=2, before=after)
        assert [c["id"] for c in first + second] == [flash, *reversed(ids)] and total == 4 and last is None
        assert [c["id"] for c in command_page(session, state="cancelled")[0]] == [ids[0]]
        log, _ = command_log(session, flash)
        stats = inventory_stats(session)
    assert [(e["actor"], e["from_state"], e["to_state"], e["detail"]) for e in log if e["asset_id"] is None] == [
        ("otto", None, "awaiting_confirmation",
         "flash on 1 device; waiting for a second person to confirm"),
        ("sam", "awaiting_confirmation", "running", "confirmed by sam"),
    ]
    assert stats["commands"] == {"awaiting_confirmation": 0, "running": 3, "done": 0, "partly_failed": 0,
                                 "failed": 0, "cancelled": 1}
    assert next(itertools.islice(iter(stats), 0, None))  # the other sections are still there
