"""Many paho-mqtt clients driven by one thread: a network server's client and one per tracker, each
with its own broker account, without a network thread per client.

paho's external-loop API: the pool waits on every client's socket with one selector (for writing
only while paho has bytes to send: its ``on_socket_register_write`` callbacks), calls ``loop_read`` /
``loop_write`` when a socket is ready and ``loop_misc`` (keep-alive) once a second, and reconnects
lost clients with a back-off. Everything runs in the caller's thread: no locks.
"""

from __future__ import annotations

import contextlib
import logging
import selectors
import socket
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from connectors.simulators.fleet_model import SimulationError

log = logging.getLogger(__name__)

MessageHandler = Callable[[str, bytes], None]


@dataclass(frozen=True)
class BrokerAddress:
    """Where the broker is, from an ``mqtt://user:password@host:port`` (or ``mqtts://``) URL."""

    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, url: str) -> BrokerAddress:
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts", "tcp", "ssl"):
            raise SimulationError(f"MQTT URL {parts.scheme}://…: expected mqtt:// or mqtts://")
        tls = parts.scheme in ("mqtts", "ssl")
        try:
            port = parts.port or (8883 if tls else 1883)
        except ValueError:
            raise SimulationError("MQTT URL: the port is not a number") from None
        username = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password else None
        return cls(parts.hostname or "127.0.0.1", port, tls, username, password)

    def as_user(self, username: str, password: str) -> BrokerAddress:
        return BrokerAddress(self.host, self.port, self.tls, username, password)


@dataclass(eq=False)
class Link:
    """One paho client of the pool, named after its account (``chirpstack``, a tracker id, …)."""

    name: str
    address: BrokerAddress
    client_id: str
    subscriptions: tuple[str, ...] = ()
    on_message: MessageHandler | None = None
    max_inflight: int = 20
    max_queued: int = 50_000
    client: mqtt.Client = field(init=False, repr=False)
    connected: bool = False
    closing: bool = False
    refused: str | None = None
    sent: int = 0
    acked: int = 0
    dropped: int = 0
    retry_at: float = 0.0
    backoff: float = 1.0

    def __post_init__(self) -> None:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=mqtt.MQTTv311,
                             clean_session=True)
        if self.address.username:
            client.username_pw_set(self.address.username, self.address.password)
        if self.address.tls:
            client.tls_set_context(ssl.create_default_context())
        client.max_inflight_messages_set(self.max_inflight)
        client.max_queued_messages_set(self.max_queued)
        client.connect_timeout = 5.0
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        if self.on_message is not None:
            handler = self.on_message
            client.on_message = lambda _c, _u, msg: handler(msg.topic, msg.payload)
        self.client = client

    @property
    def in_flight(self) -> int:
        return self.sent - self.acked

    def publish(self, topic: str, payload: bytes, qos: int = 1) -> bool:
        """Queue or send one message; False when the client's queue is full (message dropped)."""
        info = self.client.publish(topic, payload, qos=qos)
        if info.rc == mqtt.MQTT_ERR_QUEUE_SIZE:
            self.dropped += 1
            return False
        self.sent += 1
        if qos == 0:
            self.acked += 1
        return True

    def _on_connect(self, client: mqtt.Client, _u: object, _f: object, reason: mqtt.ReasonCode, _p: object) -> None:
        if reason.is_failure:
            self.refused = str(reason)
            self.connected = False
            return
        self.connected, self.refused, self.backoff = True, None, 1.0
        for topic in self.subscriptions:
            client.subscribe(topic, qos=1)

    def _on_disconnect(self, _c: object, _u: object, _f: object, reason: mqtt.ReasonCode, _p: object) -> None:
        if self.connected and not self.closing:
            log.debug("mqtt: %s lost its connection (%s)", self.name, reason)
        self.connected = False
        self.retry_at = time.monotonic() + self.backoff
        self.backoff = min(self.backoff * 2, 30.0)

    def _on_publish(self, *_args: object) -> None:
        self.acked += 1


class ClientPool:
    """The links of one simulator and the selector that drives them."""

    def __init__(self) -> None:
        self.selector = selectors.DefaultSelector()
        self.links: dict[str, Link] = {}
        self._sockets: dict[Link, socket.socket] = {}
        self._last_misc = 0.0
        self._down = 0  # clients without a connection at the last check
        self._connecting = False

    def add(self, link: Link) -> Link:
        if link.name in self.links:
            raise SimulationError(f"two MQTT clients named {link.name}")
        client = link.client
        client.on_socket_open = lambda _c, _u, sock, link=link: self._opened(link, sock)
        client.on_socket_close = lambda _c, _u, _sock, link=link: self._closed(link)
        client.on_socket_register_write = lambda _c, _u, _sock, link=link: self._want(link, True)
        client.on_socket_unregister_write = lambda _c, _u, _sock, link=link: self._want(link, False)
        self.links[link.name] = link
        return link

    def connect(self, links: Iterable[Link] | None = None, timeout: float = 15.0) -> None:
        """Connect the links and wait for every CONNACK; SimulationError naming refused accounts."""
        todo = list(self.links.values() if links is None else links)
        for link in todo:
            try:
                link.client.connect(link.address.host, link.address.port, keepalive=60)
            except OSError as exc:
                raise SimulationError(
                    f"cannot reach the MQTT broker at {link.address.host}:{link.address.port}: {exc}"
                ) from None
        deadline = time.monotonic() + timeout
        self._connecting = True
        try:
            while time.monotonic() < deadline:
                self.poll(0.05)
                if all(link.connected or link.refused for link in todo):
                    break
        finally:
            self._connecting = False
        refused = [f"{link.name} ({link.refused})" for link in todo if link.refused]
        if refused:
            raise SimulationError(
                f"the broker refused {len(refused)} account(s): {', '.join(refused[:5])}"
                + (" …" if len(refused) > 5 else "")
                + " — run `citypilot devices provision` (private broker) or create the accounts"
            )
        late = [link.name for link in todo if not link.connected]
        if late:
            raise SimulationError(f"no answer from the broker for {', '.join(late[:5])} within {timeout:.0f} s")

    def poll(self, timeout: float) -> None:
        """Wait up to ``timeout`` for socket events and handle them; keep-alive and reconnection."""
        ready = self.selector.select(timeout) if self._sockets else _sleep(timeout)
        for key, mask in ready:
            link = key.data
            if mask & selectors.EVENT_READ:
                link.client.loop_read()
                sock = self._sockets.get(link)
                while isinstance(sock, ssl.SSLSocket) and sock.pending() and link in self._sockets:
                    link.client.loop_read()
            if mask & selectors.EVENT_WRITE and link in self._sockets:
                link.client.loop_write()
        now = time.monotonic()
        if now - self._last_misc >= 1.0:
            self._last_misc = now
            for link in self.links.values():
                if link in self._sockets:
                    link.client.loop_misc()
                elif not link.refused and now >= link.retry_at:
                    self._reconnect(link, now)
            if not self._connecting:
                self._report_connections()

    def _report_connections(self) -> None:
        down = sum(1 for link in self.links.values() if not link.connected and not link.closing)
        if down and down != self._down:
            log.warning("mqtt: %d of %d clients without a connection; reconnecting", down, len(self.links))
        elif not down and self._down:
            log.info("mqtt: all %d clients connected again", len(self.links))
        self._down = down

    def make_room(self, link: Link, timeout: float = 5.0) -> None:
        """Wait (handling events) while ``link`` has its maximum of messages in flight: beyond it paho
        queues them and rescans its whole queue on every acknowledgement (quadratic in bursts)."""
        deadline = time.monotonic() + timeout
        while link.connected and link.in_flight >= link.max_inflight and time.monotonic() < deadline:
            self.poll(0.005)

    def flush(self, timeout: float = 5.0) -> int:
        """Wait until every sent message is acknowledged (or ``timeout``); the number still in flight."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(link.in_flight > 0 for link in self.links.values()):
            self.poll(0.02)
        return sum(max(link.in_flight, 0) for link in self.links.values())

    def close(self) -> None:
        for link in self.links.values():
            link.closing = True
            try:
                link.client.disconnect()
                link.client.loop_write()
            except Exception:  # closing anyway
                log.debug("mqtt: %s did not close cleanly", link.name)
            self._closed(link)
        self.selector.close()

    def _reconnect(self, link: Link, now: float) -> None:
        try:
            link.client.reconnect()
        except OSError as exc:
            link.retry_at = now + link.backoff
            link.backoff = min(link.backoff * 2, 30.0)
            log.debug("mqtt: %s cannot reconnect yet: %s", link.name, exc)

    def _opened(self, link: Link, sock: socket.socket) -> None:
        self._closed(link)
        self._sockets[link] = sock
        self.selector.register(sock, selectors.EVENT_READ, link)

    def _want(self, link: Link, write: bool) -> None:
        sock = self._sockets.get(link)
        if sock is not None:
            events = selectors.EVENT_READ | (selectors.EVENT_WRITE if write else 0)
            self.selector.modify(sock, events, link)

    def _closed(self, link: Link) -> None:
        sock = self._sockets.pop(link, None)
        if sock is not None:
            with contextlib.suppress(KeyError, ValueError):
                self.selector.unregister(sock)


def _sleep(timeout: float) -> list:
    time.sleep(max(timeout, 0))
    return []
