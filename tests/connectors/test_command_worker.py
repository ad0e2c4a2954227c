"""Commands end to end on the real broker and database with the simulator running: a circuit dimmed
lamp by lamp over ChirpStack and TTS downlinks, a silent lamp timed out then retried, a disobedient
device, a group command cancelled mid-way, the two-person rule on traffic signals, a camera reboot,
a cabinet switched over Modbus, and a worker restarted while its targets wait."""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
import queue
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from app.cli import build_cli, commands_cmd, context
from app.servers.broker import PrivateBroker
from assets.commands.actions import ACTIONS
from assets.commands.service import cancel_command, confirm_command, create_command
from assets.db import make_engine, unit_of_work
from assets.errors import PermissionDenied
from assets.live.devices import DeviceDirectory
from connectors.commands.messages import Route, cmd_message, downlink, lamp_payload, network_ack, uplink_route
from connectors.commands.worker import CommandWorker, WorkerOptions
from tests.connectors.command_support import FAST, LAMPS, Stack, build_city, running_stack, start_worker
from tests.connectors.ingest_support import mqtt_connector
from tests.plugins.database import TEMPLATE, create_database

_n = itertools.count()


@pytest.fixture(scope="module")
def stack(pg_admin_url: str, template_url: str, broker: PrivateBroker, mqtt_url: str,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One running chain for the module (starting it is the slow part); each test makes its own commands."""
    url = create_database(pg_admin_url, f"cp_commands_{next(_n)}", template=TEMPLATE)
    engine = make_engine(url)
    city = build_city(engine)
    with running_stack(engine, url, broker, mqtt_url, tmp_path_factory.mktemp("cmd-home"), city) as running:
        yield running
    engine.dispose()


def give(stack: Stack, user: str, action: str, params: dict | None, target: dict) -> int:
    with unit_of_work(stack.engine, stack.city.users[user]) as session:
        return create_command(session, stack.city.users[user], action, params, target).id


def test_a_circuit_dims_lamp_by_lamp_over_both_network_servers(stack: Stack) -> None:
    city = stack.city
    started = time.monotonic()
    command_id = give(stack, "olga", "dim", {"level": 40}, {"circuit_id": city.assets["ARM-C1-D1"]})
    data = stack.wait_done(command_id)
    elapsed = time.monotonic() - started
    assert data["state"] == "done", data
    assert data["targets_total"] == LAMPS and data["target"]["skipped"] == 1  # LUM-C09 has no controller
    assert data["counts"]["verified"] == LAMPS
    assert {t["transport"] for t in data["targets"]} == {"chirpstack", "tts"}
    assert all(t["detail"] == "reported dim 40" and t["attempts"] == 1 for t in data["targets"])
    path = {}
    for asset_id, old, new, _actor, _detail in stack.log(command_id):
        if asset_id is not None:
            path.setdefault(asset_id, []).append((old, new))
    assert all(steps == [(None, "queued"), ("queued", "sent"), ("sent", "acknowledged"), ("acknowledged", "verified")]
               for steps in path.values()) and len(path) == LAMPS
    with stack.engine.connect() as conn:
        routes = conn.execute(text("SELECT count(*) FROM device_routes")).scalar_one()
    assert routes == LAMPS
    print(f"\n{LAMPS}-lamp circuit: command to verified in {elapsed:.2f} s")
    assert elapsed < 5


def _path(stack: Stack, command_id: int, asset_id: int) -> list[str]:
    return [new for a, _old, new, _actor, _detail in stack.log(command_id) if a == asset_id]


def test_a_lamp_silent_for_the_first_attempt_times_out_and_the_retry_gets_through(stack: Stack) -> None:
    lamp = stack.city.assets["LUM-C03"]
    stack.inject("silence", "LUM-C03")
    try:
        unheard = stack.sim.counts["unheard commands"]
        command_id = give(stack, "olga", "dim", {"level": 60}, {"asset_ids": [lamp]})
        deadline = time.monotonic() + 5
        while stack.sim.counts["unheard commands"] == unheard:  # the downlink reached a lamp out of range: lost
            assert time.monotonic() < deadline
            time.sleep(0.02)
    finally:
        stack.inject("clear", "LUM-C03")
    data = stack.wait_done(command_id)
    target = data["targets"][0]
    assert data["state"] == "done" and target["state"] == "verified" and target["attempts"] == 2, data
    assert _path(stack, command_id, lamp) == ["queued", "sent", "timed_out", "queued", "sent", "acknowledged",
                                              "verified"]
    details = [d for a, _o, new, _actor, d in stack.log(command_id) if a == lamp and new == "timed_out"]
    assert details == ["no acknowledgement within 1.5 s (attempt 1 of 3)"]


def test_a_disobedient_device_acknowledges_and_is_reported_as_failed(stack: Stack) -> None:
    stack.inject("disobey", "LUM-C05", "CAM-C1")
    try:
        group = give(stack, "olga", "dim", {"level": 30}, {"circuit_id": stack.city.assets["ARM-C1-D1"]})
        camera = give(stack, "sam", "reboot", None, {"asset_ids": [stack.city.assets["CAM-C1"]]})
        data = stack.wait_done(group)
        rebooted = stack.wait_done(camera)
    finally:
        stack.inject("clear", "LUM-C05", "CAM-C1")
    assert data["state"] == "partly_failed" and data["counts"]["verified"] == LAMPS - 1
    failed = [t for t in data["targets"] if t["state"] == "failed"]
    assert [t["code"] for t in failed] == ["LUM-C05"]
    assert failed[0]["detail"].startswith("reported dim ") and failed[0]["detail"].endswith(" after acknowledging 30")
    assert _path(stack, group, failed[0]["asset_id"]) == ["queued", "sent", "acknowledged", "failed"]
    assert rebooted["state"] == "failed"
    assert "after acknowledging reboot: it did not restart" in rebooted["targets"][0]["detail"]


def test_cancelling_a_group_command_midway_cancels_what_is_left_and_keeps_what_is_done(stack: Stack) -> None:
    stack.inject("silence", "LUM-C01", "LUM-C02")
    try:
        command_id = give(stack, "olga", "dim", {"level": 70}, {"circuit_id": stack.city.assets["ARM-C1-D1"]})
        stack.wait(command_id, lambda d: d["counts"]["verified"] == LAMPS - 2, what="the lamps in range")
        with unit_of_work(stack.engine, stack.city.users["sam"]) as session:
            cancel_command(session, command_id, stack.city.users["sam"], "wrong circuit")
    finally:
        stack.inject("clear", "LUM-C01", "LUM-C02")
    data = stack.command(command_id)
    assert data["state"] == "cancelled" and data["cancelled_by"] == "sam"
    assert data["counts"]["verified"] == LAMPS - 2 and data["counts"]["cancelled"] == 2
    cancelled = [t for t in data["targets"] if t["state"] == "cancelled"]
    assert {t["code"] for t in cancelled} == {"LUM-C01", "LUM-C02"}
    assert all(t["detail"] == "cancelled by sam: wrong circuit" for t in cancelled)
    actors = {actor for a, _o, new, actor, _d in stack.log(command_id) if new == "cancelled"}
    assert actors == {stack.city.users["sam"]}
    time.sleep(0.3)
    assert stack.command(command_id)["counts"] == data["counts"]  # the worker leaves it alone


def test_traffic_signals_wait_for_a_second_person(stack: Stack) -> None:
    users, controller = stack.city.users, stack.city.assets["CRF-C1"]
    command_id = give(stack, "olga", "flash", None, {"asset_ids": [controller]})
    data = stack.command(command_id)
    assert data["state"] == "awaiting_confirmation" and data["needs_confirmation"]
    for who, reason in (("olga", "cannot confirm it"), ("carl", "role crew may not")):
        with pytest.raises(PermissionDenied, match=reason), unit_of_work(stack.engine, users[who]) as session:
            confirm_command(session, command_id, users[who])
    time.sleep(0.4)
    data = stack.command(command_id)
    assert data["state"] == "awaiting_confirmation" and data["targets"][0]["attempts"] == 0
    assert _path(stack, command_id, controller) == ["queued"]  # nothing was sent
    with unit_of_work(stack.engine, users["otto"]) as session:
        confirm_command(session, command_id, users["otto"])
    data = stack.wait_done(command_id)
    assert data["state"] == "done" and data["confirmed_by"] == "otto" and data["requested_by"] == "olga"
    assert data["targets"][0]["detail"] == "reported mode flashing"

    back = give(stack, "sam", "normal", None, {"asset_ids": [controller]})
    with unit_of_work(stack.engine, users["olga"]) as session:
        confirm_command(session, back, users["olga"])
    assert stack.wait_done(back)["targets"][0]["detail"] == "reported mode normal"


def test_a_camera_reboots_and_a_cabinet_switches_over_modbus(stack: Stack) -> None:
    camera = give(stack, "sam", "reboot", None, {"asset_ids": [stack.city.assets["CAM-C1"]]})
    off = give(stack, "olga", "switch", {"on": False}, {"asset_ids": [stack.city.assets["ARM-C1"]]})
    data = stack.wait_done(off)
    assert data["state"] == "done" and data["targets"][0]["detail"] == "contactor read back off"
    assert data["targets"][0]["transport"] == "modbus"
    cabinet = stack.modbus.cabinet("ARM-C1")
    assert cabinet.forced and cabinet.switched == {1: False}  # the simulated controller holds it off
    on = give(stack, "olga", "switch", {"on": True}, {"asset_ids": [stack.city.assets["ARM-C1"]]})
    assert stack.wait_done(on)["targets"][0]["detail"] == "contactor read back on"
    rebooted = stack.wait_done(camera, timeout=20)
    assert rebooted["state"] == "done" and rebooted["targets"][0]["detail"].startswith("back after the reboot")


def test_a_restarted_worker_picks_up_queued_and_sent_targets(stack: Stack) -> None:
    stack.worker.stop()
    stack.worker_thread.join(10)
    lamp = stack.city.assets["LUM-C07"]
    slow = replace(FAST, ack_timeout_s={**FAST.ack_timeout_s, "chirpstack": 8.0, "tts": 8.0})
    command_id = give(stack, "olga", "dim", {"level": 20}, {"asset_ids": [lamp]})
    time.sleep(0.3)
    assert stack.command(command_id)["targets"][0]["state"] == "queued"  # no worker: nothing happens
    stack.sim.commands.delay_s = 1.0  # the lamp answers a second after the downlink reaches it
    try:
        first = CommandWorker(stack.engine, stack.mqtt_url, options=WorkerOptions(policy=slow, client_id="cmd-restart"))
        first.start()
        assert first.step()["sent"] == 1
        first.close()  # stops before the acknowledgement comes: the broker keeps it for the session
        assert stack.command(command_id)["targets"][0]["state"] == "sent"
        time.sleep(1.5)
        stack.worker, stack.worker_thread = start_worker(stack.engine, stack.mqtt_url, "cmd-restart", slow)
        data = stack.wait_done(command_id)
    finally:
        stack.sim.commands.delay_s = 0.0
    assert data["state"] == "done" and data["targets"][0]["attempts"] == 1, data


def test_the_cli_has_a_verb_per_action_of_the_catalogue() -> None:
    cli, runner = build_cli(commands_cmd), CliRunner()
    for spec in ACTIONS.values():
        shown = runner.invoke(cli, ["command", spec.name, "--help"])
        assert shown.exit_code == 0, shown.output
        assert f"--{spec.kinds[0].replace('_', '-')} CODE" in shown.output
        for param in spec.params:
            assert (f"--{param.words[0]} / --{param.words[1]}" if param.type == "bool" else f"--{param.name}") \
                in shown.output, (spec.name, param.name)
        assert ("second person" in shown.output) == spec.two_person
    both = runner.invoke(cli, ["command", "dim", "--asset", "LUM-1", "--circuit", "ARM-1", "--level", "5"])
    assert both.exit_code == 2 and "give one of --asset, --circuit, --polygon" in both.output
    no_level = runner.invoke(cli, ["command", "dim", "--asset", "LUM-1"])
    assert no_level.exit_code == 2 and "--level" in no_level.output


def test_the_cli_gives_follows_confirms_and_shows_commands(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", stack.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("MQTT_URL", stack.mqtt_url)
    context.engine.cache_clear()
    cli, runner = build_cli(commands_cmd), CliRunner()
    try:
        dim = runner.invoke(cli, ["command", "dim", "--circuit", "arm-c1-d1", "--level", "55", "--user", "olga",
                                  "--follow"])
        assert dim.exit_code == 0, dim.output
        command_id = int(re.match(r"command (\d+): ", dim.output)[1])
        assert f"command {command_id}: dim 55 % on {LAMPS} device(s) (1 without a device left out): running" \
            in dim.output
        assert re.search(r"LUM-C01\s+verified\s+reported dim 55", dim.output)
        assert dim.output.rstrip().endswith(f"command {command_id} done: {LAMPS} verified")

        flash = runner.invoke(cli, ["command", "flash", "--signal-controller", "CRF-C1", "--user", "olga"])
        assert "awaiting confirmation" in flash.output and "citypilot command confirm" in flash.output
        flash_id = re.match(r"command (\d+): ", flash.output)[1]
        same = runner.invoke(cli, ["command", "confirm", flash_id, "--user", "olga"])
        assert same.exit_code == 1 and "cannot confirm it" in same.output
        other = runner.invoke(cli, ["command", "confirm", flash_id, "--user", "otto", "--follow"])
        assert other.exit_code == 0 and re.search(r"CRF-C1\s+verified\s+reported mode flashing", other.output)
        back = runner.invoke(cli, ["command", "normal", "--signal-controller", "CRF-C1", "--user", "sam"])
        runner.invoke(cli, ["command", "confirm", re.match(r"command (\d+): ", back.output)[1], "--user", "olga"])

        shown = runner.invoke(cli, ["command", "show", flash_id, "--log"])
        assert "confirmed by otto" in shown.output
        assert re.search(r"otto\s+awaiting_confirmation → running", shown.output)
        listed = runner.invoke(cli, ["command", "list", "--state", "done"])
        assert listed.exit_code == 0 and f"{command_id:>6}" in listed.output
        wrong = runner.invoke(cli, ["command", "dim", "--asset", "CAM-C1", "--level", "5"])
        assert wrong.exit_code == 1 and "no luminaire with code CAM-C1" in wrong.output
    finally:
        if context.engine.cache_info().currsize:
            context.engine().dispose()
        context.engine.cache_clear()


# -- the messages, as each side writes them ---------------------------------------------------------------
def test_downlinks_and_acknowledgements_in_chirpstack_and_tts_shapes() -> None:
    payload = lamp_payload("dim", {"level": 50})
    chirp = downlink(Route("chirpstack", "app-1", "70b3d59bc0000001"), "6f1c…", payload)
    assert chirp.topic == "application/app-1/device/70b3d59bc0000001/command/down"
    assert json.loads(chirp.payload) == {"id": "6f1c…", "devEui": "70b3d59bc0000001", "confirmed": True,
                                         "fPort": 11, "data": base64.b64encode(bytes([1, 50, 0, 0])).decode()}
    tts = downlink(Route("tts", "dijon-eclairage@dijon", "lum-c01"), "m-1", payload)
    assert tts.topic == "v3/dijon-eclairage@dijon/devices/lum-c01/down/push"
    assert json.loads(tts.payload) == {"downlinks": [{"f_port": 11, "frm_payload": "ATIAAA==", "priority": "HIGH",
                                                      "confirmed": True, "correlation_ids": ["citypilot:command:m-1"]}]}
    cmd = cmd_message("CRF-0001", 42, "flash", {}, dt.datetime(2026, 12, 1, 21, tzinfo=dt.UTC))
    assert cmd.topic == "citypilot/v1/devices/CRF-0001/cmd"
    assert json.loads(cmd.payload) == {"id": "42", "ts": "2026-12-01T21:00:00.000Z", "action": "flash", "params": {}}

    assert uplink_route("application/app-1/device/70B3D59BC0000001/event/up") == Route("chirpstack", "app-1",
                                                                                       "70b3d59bc0000001")
    assert uplink_route("v3/dijon-eclairage@dijon/devices/lum-c01/up") == Route("tts", "dijon-eclairage@dijon",
                                                                               "lum-c01")
    assert uplink_route("citypilot/v1/devices/X/state") is None
    ack = network_ack("application/app-1/device/70b3d59bc0000001/event/ack", json.dumps(
        {"time": "2026-12-01T21:00:00.123456789+00:00", "queueItemId": "q-1", "acknowledged": True}).encode())
    assert (ack.network, ack.message_id, ack.ok, ack.ts.microsecond) == ("chirpstack", "q-1", True, 123456)
    lost = network_ack("application/app-1/device/70b3d59bc0000001/event/ack",
                       b'{"time": "2026-12-01T21:00:00Z", "queueItemId": "q-2"}')  # acknowledged false: left out
    assert not lost.ok and "did not acknowledge" in lost.reason
    base = "v3/dijon-eclairage@dijon/devices/lum-c01/down/"
    tts_ack = network_ack(base + "ack", json.dumps({"received_at": "2026-12-01T21:00:00Z", "downlink_ack": {
        "correlation_ids": ["as:downlink:x", "citypilot:command:m-1"]}}).encode())
    assert (tts_ack.network, tts_ack.device_id, tts_ack.message_id, tts_ack.ok) == ("tts", "lum-c01", "m-1", True)
    failed = network_ack(base + "failed", json.dumps({"downlink_failed": {
        "downlink": {"correlation_ids": ["citypilot:command:m-2"]},
        "error": {"message_format": "no gateway"}}}).encode())
    assert failed.message_id == "m-2" and not failed.ok and "no gateway" in failed.reason
    assert network_ack(base + "sent", b"{}") is None and network_ack(base + "ack", b"not json") is None


def test_the_mqtt_connector_sends_a_command_on_our_contract(stack: Stack) -> None:
    connector = mqtt_connector(stack.mqtt_url, DeviceDirectory(stack.engine), "send-test", "send-test",
                               topics=["citypilot/v1/devices/+/nothing"])
    runner = threading.Thread(target=connector.run, args=(queue.Queue(),), daemon=True)
    runner.start()
    try:
        assert connector.connected.wait(10)
        assert connector.send_command("CRF-C1", "normal", command_id="by-hand-1") == "by-hand-1"
        deadline = time.monotonic() + 5
        while True:
            with stack.engine.connect() as conn:
                acks = conn.execute(text("SELECT detail FROM device_events WHERE name = 'command_ack' "
                                         "AND detail->>'command_id' = 'by-hand-1'")).scalars().all()
            if acks or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert acks == [{"command_id": "by-hand-1", "status": "done"}]
    finally:
        connector.stop()
        runner.join(5)
