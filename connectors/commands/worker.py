"""The command worker (``citypilot commands run``): sends each queued target over its transport and
follows it to the end — acknowledgement, verification by the device's own report, timeouts, retries.

Each target gets a :class:`~connectors.base.Route` (network, application, device id), chosen by its
kind's ``transport`` (:class:`assets.kinds.KindSpec`), and goes out through the connector that
``carries`` that network (``Connector.send``, :mod:`connectors.base`):

- signal controllers, cameras and CityPilot-native devices: route ``citypilot``, our MQTT ``cmd``
  topic (the MQTT connector); the device's ``ack`` comes back through the ingest (``command_ack``
  device events, read from the database);
- LoRaWAN lamp controllers: a confirmed downlink in the shape of the network server the device's last
  uplink came through (``chirpstack`` v4 or ``tts`` v3, :mod:`.routes`; the MQTT connector); the
  network server's ``ack`` event comes over MQTT on the worker's persistent session (kept by the
  broker while the worker is away);
- lighting cabinets: route ``modbus``, Modbus TCP writes read back at once (the Modbus connector, a
  ``blocking`` sender called from a thread pool; :mod:`connectors.modbus.cabinets`).

Verification reads what the ingest stored: the first report of the action's value at or after the
acknowledgement (:mod:`assets.commands.progress`). Restart-safe: everything is in the database (a
target is marked ``sent`` before its message leaves; deadlines are stored; acknowledgements on our
contract are read from the stored events of the devices still waiting for one), and the network
servers' acks wait in the broker for the worker's persistent session.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import paho.mqtt.client as mqtt
from sqlalchemy import Engine

from assets.commands import progress
from assets.commands.progress import Due, Open, Policy
from assets.commands.service import Move, expire_unconfirmed
from assets.db import unit_of_work
from assets.kinds import spec_for
from assets.live.devices import DeviceDirectory
from connectors.base import Connector, DeviceCommand, Route, Sending, SendResult
from connectors.commands.messages import ACK_SUBSCRIPTIONS, UPLINK_SUBSCRIPTIONS, NetworkAck, network_ack
from connectors.commands.routes import RouteBook
from connectors.modbus.cabinets import CabinetControl, ModbusCabinets
from connectors.modbus.connector import ModbusConnector
from connectors.mqtt.client import BrokerUrl, connect_properties, make_client
from connectors.mqtt.connector import MqttConnector

log = logging.getLogger(__name__)


@dataclass
class WorkerOptions:
    """``poll_s``: a pass at least this often; ``hold_s``: how soon a target waiting for its route is
    looked at again; ``client_id``: the MQTT persistent session (one per worker process)."""

    policy: Policy = field(default_factory=Policy)
    poll_s: float = 0.25
    hold_s: float = 2.0
    batch: int = 1000
    client_id: str = "citypilot-commands"
    session_expiry_s: int = 86_400
    publish_timeout_s: float = 5.0
    modbus_workers: int = 4  # threads for blocking senders (Modbus writes)

#: The progress transport of a route's network (acknowledgements on our contract are read as ``mqtt``).
_TRANSPORTS = {"citypilot": "mqtt"}


@dataclass(frozen=True)
class _Result:
    """How a blocking send ended (a Modbus write and what it read back)."""

    target: Open
    outcome: SendResult


@dataclass(frozen=True)
class _Planned:
    """A due target, the command for its route and the connector carrying it."""

    target: Due
    command: DeviceCommand
    sender: Connector

    @property
    def transport(self) -> str:
        network = self.command.route.network
        return _TRANSPORTS.get(network, network)


class CommandWorker:
    """Runs until :meth:`stop`; :meth:`step` is one pass (tests drive it directly)."""

    def __init__(self, engine: Engine, mqtt_url: str, *, devices: DeviceDirectory | None = None,
                 cabinets: CabinetControl | None = None, senders: Sequence[Connector] | None = None,
                 options: WorkerOptions | None = None) -> None:
        """``senders``: the connectors commands go out through (default: MQTT on ``mqtt_url``, with the
        worker's own session, and Modbus, switching cabinets with ``cabinets`` or at the inventory's address)."""
        self.engine = engine
        self.url = BrokerUrl.parse(mqtt_url)
        self.options = options or WorkerOptions()
        self.devices = devices or DeviceDirectory(engine)
        self.routes = RouteBook(self.devices)
        self.senders = list(senders) if senders is not None else [
            MqttConnector({"url": mqtt_url}, label="commands", devices=self.devices),
            ModbusConnector({}, label="commands", devices=self.devices, cabinets=cabinets or ModbusCabinets(engine)),
        ]
        self.totals: Counter[str] = Counter()
        self._acks: queue.Queue[NetworkAck] = queue.Queue()
        self._blocking: queue.Queue[_Result] = queue.Queue()
        self._held: tuple[list[NetworkAck], list[_Result]] = ([], [])  # kept until a pass has committed them
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._connected = threading.Event()
        self._client: mqtt.Client | None = None
        self._pool = ThreadPoolExecutor(self.options.modbus_workers, thread_name_prefix="command-send")

    # -- life cycle -------------------------------------------------------------------------------------
    def start(self, connect_timeout: float = 10.0) -> None:
        """Load the device directory and the routes, connect."""
        self.devices.load()
        self.routes.load(self.engine)
        client = make_client(self.url, self.options.client_id)
        client.on_connect = self._on_connect
        client.on_disconnect = lambda *_a: self._connected.clear()
        client.on_message = self._on_message
        client.reconnect_delay_set(0.2, 5)
        client.max_inflight_messages_set(1000)
        self._client = client
        for sender in self.senders:
            if isinstance(sender, MqttConnector):
                sender.use_client(client, self._connected)
        client.connect_async(self.url.host, self.url.port, keepalive=30, clean_start=False,
                             properties=connect_properties(self.options.session_expiry_s))
        client.loop_start()
        if not self._connected.wait(connect_timeout):
            log.warning("commands: no connection to %s yet; going on (retrying in the background)", self.url.redacted())
        log.info("command worker started: %d device routes known", len(self.routes))

    def run(self) -> None:
        """Start, then pass until :meth:`stop`."""
        self.start()
        try:
            while not self._stopped.is_set():
                try:
                    self.step()
                except Exception:  # the database or the broker away: the next pass tries again
                    log.exception("command worker pass failed; retrying")
                    self._stopped.wait(1.0)
                self._wake.wait(self.options.poll_s)
                self._wake.clear()
        finally:
            self.close()

    def stop(self) -> None:
        self._stopped.set()
        self._wake.set()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=False)
        if self._client is not None:
            self._client.disconnect()
            self._client.loop_stop()
            self._client = None

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    # -- MQTT callbacks (paho's thread) -----------------------------------------------------------------
    def _on_connect(self, client: mqtt.Client, _u: object, _flags: object, reason: Any, _p: object) -> None:
        if reason.is_failure:
            log.error("commands: %s refused the connection: %s", self.url.redacted(), reason)
            return
        client.on_subscribe = lambda *_: self._connected.set()  # connected once the broker confirmed them
        client.subscribe([*((t, 1) for t in ACK_SUBSCRIPTIONS), *((t, 0) for t in UPLINK_SUBSCRIPTIONS)])

    def _on_message(self, _client: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        topic = msg.topic
        if topic.endswith("/up"):
            self.routes.learn(topic)
            return
        ack = network_ack(topic, msg.payload)
        if ack is not None:
            self._acks.put(ack)
            self._wake.set()

    # -- one pass ---------------------------------------------------------------------------------------
    def step(self) -> Counter[str]:
        """Follow what was acknowledged, verify, time out; then send what is due. The moves made, by state."""
        made: Counter[str] = Counter()
        policy = self.options.policy
        acks, results = self._held
        acks += _drain(self._acks)
        results += _drain(self._blocking)
        with unit_of_work(self.engine, None) as session:
            self.routes.flush(session)
            at = progress.now(session)
            moves = progress.mqtt_acks(session, at, policy)
            moves += self._network_moves(session, at, acks)
            moves += self._blocking_moves(at, results)
            made.update(m.to_state for m in progress.apply(session, moves))
            made.update(m.to_state for m in progress.apply(session, progress.verifications(session)))
            made.update(m.to_state for m in progress.apply(session, progress.expired(session, at, policy)))
            unconfirmed = expire_unconfirmed(session, policy.confirmation_wait_s)
            if unconfirmed:
                made["expired"] += len(unconfirmed)
                log.warning("commands %s expired: not confirmed within %g s", unconfirmed, policy.confirmation_wait_s)
            progress.refresh_stuck(session)
        self._held = ([], [])  # committed (a failed pass keeps them for the next one)
        made.update(self._send_due())
        self.totals.update(made)
        if made:
            log.info("commands: %s", ", ".join(f"{state} {n}" for state, n in sorted(made.items())))
        return made

    def _network_moves(self, session: Any, at: Any, acks: list[NetworkAck]) -> list[Move]:
        if not acks:
            return []
        by_asset: dict[int, list[NetworkAck]] = {}
        for ack in acks:
            asset_id = self.routes.asset_of(ack.network, ack.device_id)
            if asset_id is not None:
                by_asset.setdefault(asset_id, []).append(ack)
        moves: list[Move] = []
        for target in progress.open_targets(session, ("sent",), by_asset):
            candidates = [t for t in by_asset[target.asset_id] if t.network == target.transport]
            ack = next((a for a in candidates if a.message_id == target.message_id), None)
            if ack is None and len(candidates) == 1 and candidates[0].message_id is None:
                ack = candidates[0]
            if ack is None:
                continue
            if ack.ok:
                moves.append(progress.acknowledged(target, ack.ts, at, self.options.policy,
                                                   f"acknowledged by the device ({ack.network})"))
            else:
                moves += progress.failed_to_send(target, ack.reason, at, self.options.policy, target.attempts)
        return moves

    def _blocking_moves(self, at: Any, results: list[_Result]) -> list[Move]:
        moves: list[Move] = []
        for result in results:
            target, outcome = result.target, result.outcome
            if outcome.error is not None:
                moves += ([progress.refused(target, outcome.error)] if outcome.permanent else
                          progress.failed_to_send(target, outcome.error, at, self.options.policy, target.attempts))
                continue
            moves.append(progress.acknowledged(target, outcome.ts, at, self.options.policy,
                                               f"written (the {target.transport} device answered)"))
            moves.append(progress.readback(target, outcome.ts, outcome.readback, outcome.ts))
        return moves

    # -- sending ----------------------------------------------------------------------------------------
    def _send_due(self) -> Counter[str]:
        policy = self.options.policy
        planned: list[_Planned] = []
        made: Counter[str] = Counter()
        with unit_of_work(self.engine, None) as session:
            due = progress.claim_due(session, self.options.batch)
            if not due:
                return made
            at = progress.now(session)
            moves: list[Move] = []
            for target in due:
                plan = self._plan(target)
                if isinstance(plan, str):  # cannot be sent now
                    later = progress.undeliverable(target, plan, at, policy)
                    if later:
                        moves += later
                    else:
                        progress.hold(session, target, plan, at + _seconds(self.options.hold_s))
                    continue
                moves.append(progress.sent(target, plan.transport, plan.command.message_id or "", at, policy))
                planned.append(plan)
            done = progress.apply(session, moves)
            made.update(m.to_state for m in done)
            applied = {(m.command_id, m.asset_id) for m in done if m.to_state == "sent"}
        planned = [p for p in planned if (p.target.command_id, p.target.asset_id) in applied]
        for plan in planned:
            if plan.sender.blocking:
                self._pool.submit(self._send_blocking, plan)
        failures = self._send([p for p in planned if not p.sender.blocking])
        if failures:
            with unit_of_work(self.engine, None) as session:
                at = progress.now(session)
                moves = [m for d, reason in failures
                         for m in progress.failed_to_send(d, reason, at, policy, d.attempts + 1)]
                made.update(m.to_state for m in progress.apply(session, moves))
        return made

    def _route(self, target: Due) -> Route | str:
        """Where a due target's command goes (by its kind's ``transport``), or why that is not known yet."""
        transport = spec_for(target.kind).transport
        if transport == "modbus":
            return Route("modbus", None, target.code)
        if transport == "lorawan":
            route = self.routes.get(target.asset_id)
            if route is None and target.live_source == "citypilot" and target.dev_eui:
                route = Route("citypilot", None, target.dev_eui.upper())
            return route or "waiting for an uplink from the device to learn its network server"
        if transport == "mqtt":
            return Route("citypilot", None, target.code)
        return f"a {target.kind.replace('_', ' ')} takes no command (its devices do not listen: {transport})"

    def _plan(self, target: Due) -> _Planned | str:
        """The command of a due target and the connector to send it with, or why it cannot go now."""
        route = self._route(target)
        if isinstance(route, str):
            return route
        sender = next((s for s in self.senders if route.network in s.carries), None)
        if sender is None:
            return f"no connector configured to send commands to {route.network} devices"
        command = DeviceCommand(target.command_id, target.asset_id, route, target.action, target.params)
        return _Planned(target, replace(command, message_id=sender.message_id(command)), sender)

    def _send(self, planned: Sequence[_Planned]) -> list[tuple[Due, str]]:
        """Hand each command to its (non-blocking) connector and wait for the transports' word; the
        targets whose message did not get through."""
        sendings: list[tuple[Due, Sending]] = [(p.target, p.sender.send(p.command)) for p in planned]
        deadline = time.monotonic() + self.options.publish_timeout_s
        failures = []
        for target, sending in sendings:
            outcome = sending.result(max(deadline - time.monotonic(), 0.01))
            if outcome.error is not None:
                failures.append((target, outcome.error))
        return failures

    def _send_blocking(self, plan: _Planned) -> None:
        target = _opened(plan.target, plan.transport)
        try:
            outcome = plan.sender.send(plan.command).result(self.options.publish_timeout_s)
        except Exception as exc:  # a driver error must not lose the target: it times out and is retried
            log.exception("sending %s to %s failed", plan.command.action, plan.command.route.device_id)
            outcome = SendResult(f"{type(exc).__name__}: {exc}")
        self._blocking.put(_Result(target, outcome))
        self._wake.set()


def _drain(source: queue.Queue) -> list[Any]:
    items = []
    while True:
        try:
            items.append(source.get_nowait())
        except queue.Empty:
            return items


def _opened(due: Due, transport: str) -> Open:
    return Open(due.command_id, due.asset_id, "sent", transport, None, due.attempts + 1, due.max_attempts,
                due.action, due.params, None)


def _seconds(s: float) -> dt.timedelta:
    return dt.timedelta(seconds=s)

