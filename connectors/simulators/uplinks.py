"""LoRaWAN uplinks exactly as the network servers publish them on MQTT.

- ChirpStack v4: ``application/{application_id}/device/{dev_eui}/event/up``, camelCase JSON, EUIs in
  lower-case hex, ``deduplicationId`` a fresh UUID, ``data`` base64 and ``object`` when the device
  profile has a codec; protobuf JSON leaves default values out (``fCnt`` 0, ``confirmed`` false).
- The Things Stack v3: ``v3/{application_id}@{tenant_id}/devices/{device_id}/up``, snake_case JSON,
  EUIs upper case, ``frm_payload`` base64 and ``decoded_payload`` with a payload formatter; every
  zero, false or empty field is left out (an ``f_cnt`` of 0 is absent) and the frequency is a string.
  A message is identified by device + ``session_key_id`` + ``f_cnt``.

Each device picks its network server and whether it is decoded once, from its DevEUI (stable across
runs); its session (DevAddr, session key, frame counter) starts afresh with each simulator run, as
after a rejoin.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import random
import uuid
from dataclasses import dataclass
from typing import Any

from connectors.lorawan.codecs import Codec, codec_for
from connectors.simulators.fleet_model import LoraDevice, unit_hash

CHIRPSTACK, TTS = "chirpstack", "tts"
NETWORK_SERVERS = (CHIRPSTACK, TTS)
_NS = uuid.UUID("6b1f2a52-6f3e-4c1e-9a57-2f1d0c9e7a10")  # namespace of the simulated ids

TENANT_NAME = "Dijon Métropole"
CHIRPSTACK_TENANT_ID = str(uuid.uuid5(_NS, "tenant"))
TTS_TENANT_ID = "dijon"


@dataclass(frozen=True)
class Application:
    """The network-server application a device family is registered in."""

    chirpstack_id: str
    chirpstack_name: str
    tts_id: str


APPLICATIONS = {
    "lamp": Application(str(uuid.uuid5(_NS, "app:lamp")), "Éclairage public", "dijon-eclairage"),
    "sensor": Application(str(uuid.uuid5(_NS, "app:sensor")), "Capteurs environnementaux", "dijon-capteurs"),
}
EU868_CHANNELS = (868_100_000, 868_300_000, 868_500_000, 867_100_000, 867_300_000, 867_500_000, 867_700_000,
                  867_900_000)
GATEWAYS = tuple(f"7276ff00390{i:05X}" for i in range(1, 25))  # 24 gateways on the city's roofs
REGION_METADATA = {"region_name": "eu868", "region_common_name": "EU868"}


@dataclass(slots=True)
class LoraSession:
    """A device's current LoRaWAN session as its network server sees it."""

    network: str
    decoded: bool
    dev_addr: str  # 8 hex digits, upper case
    session_key_id: str  # base64, TTS
    spreading_factor: int
    f_cnt: int = 0


def network_of(dev_eui: str, chirpstack_share: float) -> str:
    """The network server a device belongs to (stable per DevEUI)."""
    return CHIRPSTACK if unit_hash(dev_eui, "ns") < chirpstack_share else TTS


def is_decoded(dev_eui: str, undecoded_share: float) -> bool:
    """Whether the device profile has a codec (stable per DevEUI)."""
    return unit_hash(dev_eui, "codec") >= undecoded_share


def new_session(device: LoraDevice, chirpstack_share: float, undecoded_share: float, rng: random.Random) -> LoraSession:
    """A fresh session (as after a join): new DevAddr and session key, frame counter 0."""
    sf = rng.choices((7, 8, 9, 10, 11, 12), weights=(40, 22, 15, 10, 8, 5))[0]
    return LoraSession(
        network=network_of(device.dev_eui, chirpstack_share),
        decoded=is_decoded(device.dev_eui, undecoded_share),
        dev_addr=f"26{rng.getrandbits(24):06X}",
        session_key_id=base64.b64encode(os.urandom(16)).decode(),
        spreading_factor=sf,
    )


def chirpstack_time(t: float) -> str:
    """``2022-07-18T09:34:15.775023242+00:00`` (nanoseconds, numeric offset)."""
    return _iso_nanos(t) + "+00:00"


def tts_time(t: float) -> str:
    """``2020-02-12T15:15:45.787012345Z``."""
    return _iso_nanos(t) + "Z"


def _iso_nanos(t: float) -> str:
    whole = int(t)
    nanos = round((t - whole) * 1e9)
    if nanos >= 1_000_000_000:
        whole, nanos = whole + 1, nanos - 1_000_000_000
    return dt.datetime.fromtimestamp(whole, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{nanos:09d}"


def uplink(
    device: LoraDevice,
    session: LoraSession,
    values: dict[str, Any],
    t: float,
    rng: random.Random,
    *,
    payload: bytes | None = None,
    decoded: bool | None = None,
) -> tuple[str, dict[str, Any]]:
    """The (topic, message) the device's network server publishes for ``values`` at ``t``; ``payload``
    replaces the encoded bytes (malformed ones), ``decoded`` forces the presence of decoded values.
    Advances the session's frame counter."""
    codec = codec_for(device.model)
    raw = codec.encode(values) if payload is None else payload
    decoded_values = codec.decode(raw) if (session.decoded if decoded is None else decoded) else None
    build = chirpstack_uplink if session.network == CHIRPSTACK else tts_uplink
    topic, message = build(device, session, codec, raw, decoded_values, t, rng)
    session.f_cnt += 1
    return topic, message


def chirpstack_topic(device: LoraDevice) -> str:
    return f"application/{APPLICATIONS[device.family].chirpstack_id}/device/{device.dev_eui.lower()}/event/up"


def tts_topic(device: LoraDevice) -> str:
    return f"v3/{APPLICATIONS[device.family].tts_id}@{TTS_TENANT_ID}/devices/{device.code.lower()}/up"


def chirpstack_uplink(
    device: LoraDevice, session: LoraSession, codec: Codec, raw: bytes, decoded: dict[str, Any] | None,
    t: float, rng: random.Random,
) -> tuple[str, dict[str, Any]]:
    app = APPLICATIONS[device.family]
    when = chirpstack_time(t)
    message: dict[str, Any] = {
        "deduplicationId": str(uuid.uuid4()),
        "time": when,
        "deviceInfo": {
            "tenantId": CHIRPSTACK_TENANT_ID,
            "tenantName": TENANT_NAME,
            "applicationId": app.chirpstack_id,
            "applicationName": app.chirpstack_name,
            "deviceProfileId": str(uuid.uuid5(_NS, f"profile:{codec.model}")),
            "deviceProfileName": codec.model,
            "deviceName": device.code,
            "devEui": device.dev_eui.lower(),
            "deviceClassEnabled": "CLASS_A",
            "tags": {"asset_code": device.code},
        },
        "devAddr": session.dev_addr.lower(),
        "adr": True,
        "dr": 12 - session.spreading_factor,
    }
    if session.f_cnt:
        message["fCnt"] = session.f_cnt
    message["fPort"] = codec.f_port
    message["data"] = base64.b64encode(raw).decode()
    if decoded is not None:
        message["object"] = decoded
    gateway = _gateway(device, rng)
    message["rxInfo"] = [{
        "gatewayId": gateway.lower(),
        "uplinkId": rng.getrandbits(32),
        "nsTime": when,
        "rssi": rng.randint(-118, -70),
        "snr": round(rng.uniform(-7.5, 11.0), 1),
        "channel": rng.randrange(8),
        "context": base64.b64encode(rng.getrandbits(32).to_bytes(4, "big")).decode(),
        "metadata": dict(REGION_METADATA),
        "crcStatus": "CRC_OK",
    }]
    message["txInfo"] = {
        "frequency": rng.choice(EU868_CHANNELS),
        "modulation": {"lora": {"bandwidth": 125000, "spreadingFactor": session.spreading_factor,
                                "codeRate": "CR_4_5"}},
    }
    return chirpstack_topic(device), message


def tts_uplink(
    device: LoraDevice, session: LoraSession, codec: Codec, raw: bytes, decoded: dict[str, Any] | None,
    t: float, rng: random.Random,
) -> tuple[str, dict[str, Any]]:
    """TTS leaves out zero, false and empty fields: the ones that can be are filtered (``_present``);
    decoded values are a protobuf Struct and keep their zeros."""
    app = APPLICATIONS[device.family]
    when = tts_time(t)
    heard = tts_time(t - rng.uniform(0.05, 0.3))
    timestamp = rng.getrandbits(32)
    channel = rng.randrange(8)
    gateway = _gateway(device, rng)
    uplink_message = _present({
        "session_key_id": session.session_key_id,
        "f_port": codec.f_port,
        "f_cnt": session.f_cnt,
        "frm_payload": base64.b64encode(raw).decode() if raw else None,
        "decoded_payload": decoded,
        "rx_metadata": [_present({
            "gateway_ids": {"gateway_id": f"dijon-gw-{GATEWAYS.index(gateway) + 1:02d}", "eui": gateway},
            "time": heard,
            "timestamp": timestamp,
            "rssi": rng.randint(-118, -70),
            "channel_rssi": rng.randint(-118, -70),
            "snr": round(rng.uniform(-7.5, 11.0), 1),
            "uplink_token": base64.b64encode(os.urandom(24)).decode(),
            "channel_index": channel,
            "received_at": when,
        })],
        "settings": _present({
            "data_rate": {"lora": {"bandwidth": 125000, "spreading_factor": session.spreading_factor,
                                   "coding_rate": "4/5"}},
            "frequency": str(EU868_CHANNELS[channel]),
            "timestamp": timestamp,
            "time": heard,
        }),
        "received_at": when,
        "consumed_airtime": f"{_airtime_s(len(raw), session.spreading_factor):.6f}s",
        "network_ids": {"net_id": "000013", "tenant_id": TTS_TENANT_ID, "cluster_id": "eu1"},
    })
    message = {
        "end_device_ids": {
            "device_id": device.code.lower(),
            "application_ids": {"application_id": app.tts_id},
            "dev_eui": device.dev_eui.upper(),
            "join_eui": "70B3D57ED0000000",
            "dev_addr": session.dev_addr.upper(),
        },
        "correlation_ids": [f"as:up:{_ulid(t)}", f"gs:uplink:{_ulid(t)}"],
        "received_at": when,
        "uplink_message": uplink_message,
    }
    return tts_topic(device), message


def _present(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields TTS writes: not zero, false, empty or null (decoded values are kept whole)."""
    return {k: v for k, v in fields.items() if v is not None and (k == "decoded_payload" or (
        v is not False and v != 0 and v != "" and v != [] and v != {}))}


def _gateway(device: LoraDevice, rng: random.Random) -> str:
    home = int(unit_hash(device.dev_eui, "gw") * len(GATEWAYS))
    return GATEWAYS[(home + (1 if rng.random() < 0.2 else 0)) % len(GATEWAYS)]


def _airtime_s(payload_len: int, sf: int) -> float:
    """Semtech's LoRa time on air for a LoRaWAN frame (13 bytes of overhead), 125 kHz, CR 4/5."""
    symbol = (2**sf) / 125_000
    low_rate = 1 if sf >= 11 else 0
    n = 8 + max(-(-(8 * (payload_len + 13) - 4 * sf + 28 + 16) // (4 * (sf - 2 * low_rate))) * 5, 0)
    return (12.25 + n) * symbol


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_FROM_RFC4648 = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", _CROCKFORD)


def _ulid(t: float) -> str:
    """A ULID (as TTS correlation ids carry): 48 bits of milliseconds, 80 random bits, Crockford base 32."""
    ms = int(t * 1000)
    head = "".join(_CROCKFORD[(ms >> (5 * i)) & 31] for i in range(9, -1, -1))
    return head + base64.b32encode(os.urandom(10)).decode().translate(_FROM_RFC4648)
