"""Each message format parsed into typed records, and rejected with a reason naming the field."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest

from assets.live.devices import Device
from assets.live.records import Event, Position, Reading
from connectors.base import FormatError
from connectors.lorawan.codecs import CODECS, CodecError, codec_for
from connectors.mqtt.formats import detect, parse_message
from tests.connectors.ingest_support import (
    LAMP_EUI,
    T0,
    TEMP_EUI,
    TRACKER,
    chirpstack,
    cp,
    lamp_bytes,
    lamp_values,
    tts,
)

DEVICES = {
    LAMP_EUI: Device(1, "luminaire", "LUM-T1", "citypilot-lc1"),
    TEMP_EUI: Device(2, "sensor", "CAP-T1", "citypilot-temp"),
    TRACKER: Device(3, "vehicle", "VEH-T1", None),
    "ARM-T1": Device(4, "cabinet", "ARM-T1", None),
    "LUM-T1": Device(1, "luminaire", "LUM-T1", "citypilot-lc1"),
}


def lookup(device_id: str) -> Device | None:
    return DEVICES.get(device_id.upper())


def parse(message: tuple[str, bytes]) -> tuple[str, list]:
    return parse_message(*message, lookup)


def reject(message: tuple[str, bytes]) -> FormatError:
    with pytest.raises(FormatError) as info:
        parse(message)
    return info.value


# -- CityPilot's own format ------------------------------------------------------------------------------
def test_citypilot_telemetry_keeps_negative_zero_and_null_values() -> None:
    fmt, [reading] = parse(cp(LAMP_EUI, "telemetry", values={"power_w": 0, "temp_c": -12.5, "dim_level": None}))
    assert fmt == "citypilot"
    assert isinstance(reading, Reading)
    assert reading.asset_id == 1 and reading.state is None and reading.ts == T0
    assert reading.values == {"power_w": 0, "temp_c": -12.5, "dim_level": None}


def test_citypilot_state_event_gps_and_ack() -> None:
    _, [state] = parse(cp("arm-t1", "state", state="fault", values={"door_open": True}))
    assert (state.asset_id, state.state, state.values) == (4, "fault", {"door_open": True})
    _, [event] = parse(cp(LAMP_EUI, "event", event="lamp_failure", detail={"code": 3}))
    assert isinstance(event, Event) and (event.name, event.detail) == ("lamp_failure", {"code": 3})
    _, [fix] = parse(cp(TRACKER, "gps", lat=47.3185, lon=5.0412, speed_kmh=0, heading_deg=92))
    assert isinstance(fix, Position) and (fix.lon, fix.lat, fix.speed_kmh, fix.heading_deg) == (5.0412, 47.3185, 0, 92)
    _, [ack] = parse(cp(LAMP_EUI, "ack", command_id="c-1", status="done"))
    assert (ack.name, ack.detail) == ("command_ack", {"command_id": "c-1", "status": "done"})


def test_citypilot_identity_is_device_and_id() -> None:
    a = parse(cp(LAMP_EUI, "telemetry", msg_id="m1", values={"x": 1}))[1][0]
    b = parse(cp(LAMP_EUI.lower(), "telemetry", msg_id="m1", values={"x": 2}))[1][0]
    c = parse(cp(LAMP_EUI, "telemetry", msg_id="m2", values={"x": 1}))[1][0]
    assert a.key == b.key != c.key


def test_nested_values_are_flattened_and_lists_kept_as_text() -> None:
    _, [reading] = parse(cp(LAMP_EUI, "telemetry", values={"meter": {"kwh": 1.5, "v": [230, 231]}}))
    assert reading.values == {"meter.kwh": 1.5, "meter.v": "[230,231]"}


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (("citypilot/v1/devices/X/telemetry", b"{not json"), "payload: not valid JSON"),
        (("citypilot/v1/devices/X/telemetry", b"[1, 2]"), "payload: expected a JSON object, got list"),
        (("citypilot/v1/devices/X/telemetry", b'{"ts": "2026-11-29T21:00:00Z", "values": {}}'), "id: missing"),
        (("citypilot/v1/devices/X/telemetry", b'{"id": "1", "values": {}}'), "ts: missing"),
        (("citypilot/v1/devices/X/telemetry", b'{"id": "1", "ts": "2026-11-29T21:00:00", "values": {}}'),
         "has no time zone"),
        (("citypilot/v1/devices/X/telemetry", b'{"id": "1", "ts": "yesterday", "values": {}}'),
         "is not an RFC 3339 time"),
        (cp("NOPE", "telemetry", values={"a": 1}), "device: unknown device 'NOPE'"),
        (cp(LAMP_EUI, "telemetry"), "values: missing"),
        (cp(LAMP_EUI, "telemetry", values=[1]), "values: expected an object of values, got list"),
        (cp(LAMP_EUI, "bogus", values={}), "topic: unknown channel 'bogus'"),
        (cp(LAMP_EUI, "state", state="broken"), "state: 'broken' is not one of ok, fault"),
        (cp(TRACKER, "gps", lat=147.0, lon=5.0), "lat: 147.0 is outside -90..90"),
        (cp(TRACKER, "gps", lat=47.0), "lon: missing"),
        (cp(TRACKER, "gps", lat="x", lon=5.0), "lat: expected a number"),
        (cp(LAMP_EUI, "ack", command_id="c", status="maybe"), "status: 'maybe' is not one of"),
        (("citypilot/v1/devices/telemetry", b'{"id": "1"}'), "topic: expected citypilot/v1/devices/"),
    ],
)
def test_citypilot_rejections_name_the_field(message: tuple[str, bytes], reason: str) -> None:
    error = reject(message)
    assert reason in error.reason
    assert error.format == "citypilot"


# -- ChirpStack v4 -------------------------------------------------------------------------------------
def test_chirpstack_decoded_object() -> None:
    fmt, [reading] = parse(chirpstack(LAMP_EUI, decoded=lamp_values(lamp_failure=True), dedup_id="d-1"))
    assert fmt == "chirpstack"
    assert reading.asset_id == 1 and reading.state == "fault" and reading.values["lamp_failure"] is True
    again = parse(chirpstack(LAMP_EUI, T0 + dt.timedelta(hours=1), decoded=lamp_values(), dedup_id="d-1"))[1][0]
    assert again.key == reading.key  # identity: the deduplicationId


def test_chirpstack_undecoded_payload_through_the_device_codec() -> None:
    _, [reading] = parse(chirpstack(LAMP_EUI, raw=lamp_bytes(dim_level=0, power_w=0.0)))
    assert reading.values == lamp_values(dim_level=0, power_w=0.0)
    assert reading.state == "ok"
    raw = CODECS["citypilot-temp"].encode({"temperature_c": -7.25, "humidity_pct": 80, "battery_pct": 0})
    _, [cold] = parse(chirpstack(TEMP_EUI, raw=raw, f_port=22))
    assert cold.values == {"temperature_c": -7.25, "humidity_pct": 80, "battery_pct": 0}


def test_chirpstack_time_falls_back_to_the_network_server_time() -> None:
    topic, payload = chirpstack(LAMP_EUI, decoded={"x": 1})
    message = json.loads(payload)
    del message["time"]
    _, [reading] = parse((topic, json.dumps(message).encode()))
    assert reading.ts == T0


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda m: m.pop("deduplicationId"), "deduplicationId: missing"),
        (lambda m: m.update(data=base64.b64encode(b"\x01\x02").decode()),
         "data: citypilot-lc1: expected 10 bytes on fPort 10, got 2"),
        (lambda m: m.update(data="%%%"), "data: not valid base64"),
        (lambda m: m.pop("data"), "data: missing (no payload and no decoded object)"),
        (lambda m: m.update(fPort=21), "data: citypilot-lc1 sends on fPort 10, not 21"),
        (lambda m: m["deviceInfo"].update(devEui="0000000000000000"), "device: unknown DevEUI '0000000000000000'"),
        (lambda m: (m.pop("time"), m.pop("rxInfo")), "time: missing"),
    ],
)
def test_chirpstack_rejections(change, reason: str) -> None:
    topic, payload = chirpstack(LAMP_EUI, raw=lamp_bytes())
    message = json.loads(payload)
    change(message)
    error = reject((topic, json.dumps(message).encode()))
    assert reason in error.reason
    assert error.format == "chirpstack"


# -- The Things Stack v3 ----------------------------------------------------------------------------------
def test_tts_decoded_and_undecoded() -> None:
    fmt, [decoded] = parse(tts(LAMP_EUI, decoded=lamp_values(driver_fault=True)))
    assert fmt == "tts" and decoded.state == "fault" and decoded.ts == T0
    _, [raw] = parse(tts(LAMP_EUI, raw=lamp_bytes()))
    assert raw.values == lamp_values() and raw.state == "ok"


def test_tts_identity_is_device_session_and_frame_counter() -> None:
    first = parse(tts(LAMP_EUI, decoded={"x": 1}, f_cnt=None))[1][0]  # f_cnt 0: left out by TTS
    same = parse(tts(LAMP_EUI, decoded={"x": 1}, f_cnt=None))[1][0]
    rejoined = parse(tts(LAMP_EUI, decoded={"x": 1}, f_cnt=None, session_key_id="bmV3IHNlc3Npb24="))[1][0]
    next_frame = parse(tts(LAMP_EUI, decoded={"x": 1}, f_cnt=1))[1][0]
    assert first.key == same.key
    assert len({first.key, rejoined.key, next_frame.key}) == 3


def test_tts_device_found_by_its_id_without_dev_eui() -> None:
    topic, payload = tts(LAMP_EUI, decoded={"x": 1}, device_id="lum-t1")
    message = json.loads(payload)
    del message["end_device_ids"]["dev_eui"]
    _, [reading] = parse((topic, json.dumps(message).encode()))
    assert reading.asset_id == 1


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda m: m.pop("uplink_message"), "uplink_message: missing"),
        (lambda m: m["uplink_message"].pop("frm_payload"), "uplink_message.frm_payload: missing"),
        (lambda m: m["uplink_message"].update(frm_payload="AAE="), "expected 10 bytes on fPort 10, got 2"),
        (lambda m: m["uplink_message"].update(f_cnt=-1), "uplink_message.f_cnt: expected a counter"),
        (lambda m: m.update(end_device_ids={"dev_eui": "FFFF000000000000", "device_id": "ghost"}),
         "device: unknown device 'FFFF000000000000'"),
    ],
)
def test_tts_rejections(change, reason: str) -> None:
    topic, payload = tts(LAMP_EUI, raw=lamp_bytes())
    message = json.loads(payload)
    change(message)
    error = reject((topic, json.dumps(message).encode()))
    assert reason in error.reason
    assert error.format == "tts"


# -- detection ---------------------------------------------------------------------------------------------
def test_format_detected_by_topic_then_by_payload() -> None:
    assert detect("application/a/device/b/event/up").NAME == "chirpstack"
    assert detect("v3/app@t/devices/d/up").NAME == "tts"
    assert detect("citypilot/v1/devices/x/gps").NAME == "citypilot"
    assert detect("somewhere/else") is None
    _, payload = chirpstack(LAMP_EUI, decoded={"x": 1})
    fmt, [reading] = parse(("bridge/lorawan/uplink", payload))
    assert fmt == "chirpstack" and reading.asset_id == 1


def test_unknown_topic_is_rejected_without_a_format() -> None:
    error = reject(("somewhere/else", b'{"hello": 1}'))
    assert error.format is None
    assert "topic: 'somewhere/else' is not a topic of a known format" in error.reason


# -- codecs ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("model", "values"),
    [
        ("citypilot-lc1", lamp_values(lamp_failure=True, dim_level=0, power_w=0.0)),
        ("citypilot-noise", {"laeq_db": 58.3, "lamax_db": -1.5, "battery_pct": 0}),
        ("citypilot-air", {"no2_ugm3": 41.2, "pm10_ugm3": 0.0, "pm25_ugm3": 12.5, "battery_pct": 100}),
        ("citypilot-temp", {"temperature_c": -21.37, "humidity_pct": 0, "battery_pct": 55}),
    ],
)
def test_codecs_round_trip(model: str, values: dict) -> None:
    codec = CODECS[model]
    assert codec.decode(codec.encode(values)) == values


def test_codec_chosen_by_model_else_port() -> None:
    assert codec_for("citypilot-air").f_port == 21
    assert codec_for("Lumi LED 3000", 22).model == "citypilot-temp"
    with pytest.raises(CodecError, match="no codec for device model 'x' on fPort 99"):
        codec_for("x", 99)
