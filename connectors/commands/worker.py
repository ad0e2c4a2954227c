"""The command worker (``citypilot commands run``): sends each queued target over its transport and
follows it to the end — acknowledgement, verification by the device's own report, timeouts, retries.

Transports, by target:

- signal controllers, cameras and CityPilot-native devices: our MQTT ``cmd`` topic; the device's
  ``ack`` comes back through the ingest (``command_ack`` device events, read from the database);
- LoRaWAN lamp controllers: a confirmed downlink in the shape of the network server the device's last
  uplink came through (ChirpStack v4 or The Things Stack v3, :mod:`.routes`); the network server's
  ``ack`` event comes over MQTT on the worker's persistent session (kept by the broker while the
  worker is away);
- lighting cabinets: Modbus TCP writes, read back at once (:mod:`.cabinets`).

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
import uuid
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt
from sqlalchemy import Engine

from assets.commands import progress
from assets.commands.progress import Due, Open, Policy
from assets.commands.service import Move, expire_unconfirmed
from assets.db import unit_of_work
from assets.live.devices import DeviceDirectory
from connectors.commands.cabinets import CabinetControl, CabinetError
from connectors.commands.messages import (
    ACK_SUBSCRIPTIONS,
    UPLINK_SUBSCRIPTIONS,
    NetworkAck,
    Outgoing,
    Route,
    cmd_message,
    downlink,
    lamp_payload,
    network_ack,
)
from connectors.commands.routes import RouteBook
from connectors.mqtt.client import BrokerUrl, connect_properties, make_client

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
    modbus_workers: int = 4


@dataclass(frozen=True)
class _Result:
    """What a Modbus job found: the contactor state read back, or the error."""

    target: Open
    value: Any
    error: str | None
    ts: dt.datetime
    permanent: bool = False


class CommandWorker:
    """Runs until :meth:`stop`; :meth:`step` is one pass (tests drive it directly)."""

    def __init__(self, engine: Engine, mqtt_url: str, *, devices: DeviceDirectory | None = None,
                 cabinets: CabinetControl | None = None, options: WorkerOptions | None = None) -> None:
        self.engine = engine
        self.url = BrokerUrl.parse(mqtt_url)
        self.options = options or WorkerOptions()
        self.devices = devices or DeviceDirectory(engine)
        self.routes = RouteBook(self.devices)
        self.cabinets = cabinets
        self.totals: Counter[str] = Counter()
        self._acks: queue.Queue[NetworkAck] = queue.Queue()
        self._modbus: queue.Queue[_Result] = queue.Queue()
        self._held: tuple[list[NetworkAck], list[_Result]] = ([], [])  # kept until a pass has committed them
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._connected = threading.Event()
        self._client: mqtt.Client | None = None
        self._pool = ThreadPoolExecutor(self.options.modbus_workers, thread_name_prefix="command-modbus")

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
        results += _drain(self._modbus)
        with unit_of_work(self.engine, None) as session:
            self.routes.flush(session)
            at = progress.now(session)
            moves = progress.mqtt_acks(session, at, policy)
            moves += self._network_moves(session, at, acks)
            moves += self._modbus_moves(at, results)
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

    def _modbus_moves(self, at: Any, results: list[_Result]) -> list[Move]:
        moves: list[Move] = []
        for result in results:
            target = result.target
            if result.error is not None:
                moves += ([progress.refused(target, result.error)] if result.permanent else
                          progress.failed_to_send(target, result.error, at, self.options.policy, target.attempts))
                continue
            moves.append(progress.acknowledged(target, result.ts, at, self.options.policy,
                                               "written (the Modbus server answered)"))
            moves.append(progress.readback(target, result.ts, result.value, result.ts))
        return moves

    # -- sending ----------------------------------------------------------------------------------------
    def _send_due(self) -> Counter[str]:
        policy = self.options.policy
        outgoing: list[tuple[Due, Outgoing]] = []
        cabinets: list[Due] = []
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
                transport, message_id, message = plan
                moves.append(progress.sent(target, transport, message_id, at, policy))
                if message is None:
                    cabinets.append(target)
                else:
                    outgoing.append((target, message))
            done = progress.apply(session, moves)
            made.update(m.to_state for m in done)
            applied = {(m.command_id, m.asset_id) for m in done if m.to_state == "sent"}
        outgoing = [(d, o) for d, o in outgoing if (d.command_id, d.asset_id) in applied]
        failures = self._publish(outgoing)
        for target in cabinets:
            if (target.command_id, target.asset_id) in applied:
                self._pool.submit(self._switch, _opened(target, "modbus"))
        if failures:
            with unit_of_work(self.engine, None) as session:
                at = progress.now(session)
                moves = [m for d, reason in failures
                         for m in progress.failed_to_send(d, reason, at, policy, d.attempts + 1)]
                made.update(m.to_state for m in progress.apply(session, moves))
        return made

    def _plan(self, target: Due) -> tuple[str, str | None, Outgoing | None] | str:
        """(transport, message id, message — None for Modbus) for a due target, or why it cannot go now."""
        at_ts = _utcnow()
        if target.kind == "cabinet":
            if self.cabinets is None:
                return "no Modbus access configured for cabinets"
            return "modbus", None, None
        if target.kind == "luminaire":
            route = self.routes.get(target.asset_id)
            if route is None and target.live_source == "citypilot" and target.dev_eui:
                route = Route("citypilot", None, target.dev_eui.upper())
            if route is None:
                return "waiting for an uplink from the lamp controller to learn its network server"
            if route.network in ("chirpstack", "tts"):
                message_id = str(uuid.uuid4())
                return route.network, message_id, downlink(route, message_id, lamp_payload(target.action,
                                                                                            target.params))
            return "mqtt", str(target.command_id), cmd_message(route.device_id, target.command_id, target.action,
                                                               target.params, at_ts)
        return "mqtt", str(target.command_id), cmd_message(target.code, target.command_id, target.action,
                                                           target.params, at_ts)

    def _publish(self, outgoing: Sequence[tuple[Due, Outgoing]]) -> list[tuple[Due, str]]:
        """Publish at QoS 1 and wait for the broker; the targets whose message did not get through."""
        client = self._client
        if not outgoing:
            return []
        if client is None or not self._connected.is_set():
            return [(d, f"the MQTT broker {self.url.host}:{self.url.port} is not reachable") for d, _ in outgoing]
        infos = [(d, client.publish(o.topic, o.payload, qos=1)) for d, o in outgoing]
        deadline = time.monotonic() + self.options.publish_timeout_s
        failures = []
        for target, info in infos:
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                failures.append((target, f"the MQTT broker refused the message ({mqtt.error_string(info.rc)})"))
                continue
            try:
                info.wait_for_publish(max(deadline - time.monotonic(), 0.01))
            except (RuntimeError, ValueError) as exc:
                failures.append((target, f"the MQTT broker did not take the message ({exc})"))
                continue
            if not info.is_published():
                failures.append((target, "the MQTT broker did not acknowledge the message in time"))
        return failures

    def _switch(self, target: Open) -> None:
        on = bool(target.params.get("on"))
        try:
            value = self.cabinets.switch(target.asset_id, on)  # type: ignore[union-attr]
            result = _Result(target, value, None, _utcnow())
        except CabinetError as exc:
            result = _Result(target, None, str(exc), _utcnow(), exc.permanent)
        except Exception as exc:  # a driver error must not lose the target: it times out and is retried
            log.exception("switching cabinet %s failed", target.asset_id)
            result = _Result(target, None, f"{type(exc).__name__}: {exc}", _utcnow())
        self._modbus.put(result)
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


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
