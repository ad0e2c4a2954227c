"""paho-mqtt 2 clients from ``mqtt://user:password@host:port`` URLs (``mqtts://`` for TLS), MQTT v5."""

from __future__ import annotations

import ssl
import threading
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from assets.errors import FieldError, ValidationError


@dataclass(frozen=True)
class BrokerUrl:
    """Where a broker is and who we are on it."""

    host: str
    port: int
    username: str | None
    password: str | None
    tls: bool = False

    @classmethod
    def parse(cls, url: str, field: str = "url") -> BrokerUrl:
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts", "tcp", "ssl"):
            raise ValidationError(FieldError(field, f"expected mqtt://[user:password@]host[:port], got {url[:80]!r}"))
        if not parts.hostname:
            raise ValidationError(FieldError(field, "no host"))
        tls = parts.scheme in ("mqtts", "ssl")
        try:
            port = parts.port or (8883 if tls else 1883)
        except ValueError:
            raise ValidationError(FieldError(field, "invalid port")) from None
        return cls(
            parts.hostname, port, unquote(parts.username) if parts.username else None,
            unquote(parts.password) if parts.password else None, tls,
        )

    def redacted(self) -> str:
        user = f"{self.username}:***@" if self.username else ""
        return f"{'mqtts' if self.tls else 'mqtt'}://{user}{self.host}:{self.port}"


def make_client(url: BrokerUrl, client_id: str = "") -> mqtt.Client:
    """A paho client (callback API 2, MQTT v5) with the URL's credentials and TLS."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    if url.username is not None:
        client.username_pw_set(url.username, url.password)
    if url.tls:
        client.tls_set(cert_reqs=ssl.CERT_REQUIRED)
    return client


def connect_properties(session_expiry_s: int | None = None, receive_maximum: int | None = None) -> Properties:
    props = Properties(PacketTypes.CONNECT)
    if session_expiry_s is not None:
        props.SessionExpiryInterval = session_expiry_s
    if receive_maximum is not None:
        props.ReceiveMaximum = receive_maximum
    return props


def disconnect_properties(session_expiry_s: int) -> Properties:
    """DISCONNECT properties changing the session expiry (0: the broker deletes the session now)."""
    props = Properties(PacketTypes.DISCONNECT)
    props.SessionExpiryInterval = session_expiry_s
    return props


def connect_and_wait(client: mqtt.Client, url: BrokerUrl, timeout: float = 10.0, **connect_kw: object) -> str | None:
    """Connect (network loop started) and wait for the CONNACK; None when accepted, else the reason."""
    done = threading.Event()
    outcome: list[str | None] = [f"no answer from the broker within {timeout:.0f} s"]

    def on_connect(_c, _u, _flags, reason, _props) -> None:
        outcome[0] = None if not reason.is_failure else str(reason)
        done.set()

    def on_disconnect(_c, _u, _flags, reason, _props) -> None:
        if not done.is_set():
            outcome[0] = f"disconnected: {reason}"
            done.set()

    client.on_connect = on_connect
    client.on_disconnect = on_disconnect
    try:
        client.connect(url.host, url.port, **connect_kw)  # type: ignore[arg-type]
    except OSError as exc:
        return f"cannot reach {url.host}:{url.port}: {exc.strerror or exc}"
    client.loop_start()
    done.wait(timeout)
    return outcome[0]
