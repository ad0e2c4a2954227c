"""The connector contract: read a protocol, turn what it says into typed records, send commands.

A connector is a small class registered under a name (``@register_connector``), as pygeoapi providers
and Home Assistant integrations are:

- ``check_config(config)`` validates a configuration *and tests it against the real broker or
  device* before anything is saved; it returns the normalised configuration or raises
  :class:`ConfigError` naming the field and the reason.
- ``run(sink)`` receives until ``stop()``: each message goes to ``sink.put(Delivery)`` (which blocks
  while the ingest is full: back-pressure); ``parse(delivery)`` turns it into records (or raises
  :class:`FormatError` with the reason); once the records are committed the ingest calls
  ``acknowledge(deliveries)``, in the order they were received.
- **Sending**: ``carries`` names the routes (networks) whose devices the connector sends to
  (``citypilot``, ``chirpstack``, ``tts``: the MQTT connector; ``modbus``: the Modbus connector). The
  command worker (``connectors.commands.worker``) gives each command to the connector carrying its
  device's :class:`Route` (the worker's ``senders``), asks it ``message_id(command)`` (stored before anything leaves),
  then ``send(command)`` → a :class:`Sending` whose ``result(timeout)`` is a :class:`SendResult`
  (``blocking`` senders, like Modbus writes read back at once, are called from a thread pool).
  ``send_command(device_id, action, params, command_id=None)`` is the one-shot form.

``devices`` (an :class:`assets.live.devices.DeviceDirectory`) tells which asset a device id is.

The records (:class:`Reading`, :class:`Event`, :class:`Position`, :class:`DeadLetter`) are defined by
``assets.live.records`` — live data belongs to the assets — and re-exported here.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Protocol

from assets.errors import FieldError, ValidationError
from assets.live.records import DeadLetter, Event, Position, Reading, Record, message_key

__all__ = [
    "ConfigError", "Connector", "DeadLetter", "Delivery", "DeviceCommand", "Event", "FormatError", "Position",
    "Reading", "Record", "Route", "SendResult", "Sending", "Sink", "message_key",
]


class FormatError(ValueError):
    """A message that cannot be read: ``reason`` says why (naming the field), ``format`` what it
    looked like when that was recognised."""

    def __init__(self, reason: str, format: str | None = None) -> None:
        self.reason = reason
        self.format = format
        super().__init__(reason)


class ConfigError(ValidationError):
    """A connector configuration that is invalid or does not work against the real thing."""

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(FieldError(field_name, reason))


@dataclass(slots=True)
class Delivery:
    """One message as a connector received it, held until what it says is stored and acknowledged.

    ``token`` is the connector's own acknowledgement handle; ``done`` is called (if set) once the
    message is stored, with an error text when it could not be.
    """

    connector: Connector
    topic: str
    payload: bytes
    received_at: float = field(default_factory=time.time)
    token: Any = None
    done: Any = None
    records: list[Record] | None = None  # already typed by the connector (a poller): parse returns them


@dataclass(frozen=True)
class Route:
    """Where a device's commands go: ``network`` (citypilot / chirpstack / tts / modbus), the network
    server's ``application`` (ChirpStack application id, TTS ``app@tenant``), the device id it uses."""

    network: str
    application: str | None
    device_id: str


@dataclass(frozen=True)
class DeviceCommand:
    """One command to one device, as the command worker hands it to the connector carrying its route."""

    command_id: int | str
    asset_id: int
    route: Route
    action: str
    params: Mapping[str, Any]
    message_id: str | None = None


@dataclass(frozen=True)
class SendResult:
    """How a send ended: ``error`` None when the transport took the command (``permanent``: trying
    again will not help); ``readback``: what the device read back at once (a Modbus write), else None."""

    error: str | None = None
    permanent: bool = False
    readback: Any = None
    ts: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


class Sending(Protocol):
    """A command on its way out."""

    def result(self, timeout: float) -> SendResult:
        """Wait (at most ``timeout`` s) for the transport's word on it."""


@dataclass(frozen=True)
class Sent:
    """A :class:`Sending` that is already over (blocking senders)."""

    outcome: SendResult

    def result(self, timeout: float) -> SendResult:
        return self.outcome


class Sink(Protocol):
    """Where a connector puts what it receives (the ingest)."""

    def put(self, delivery: Delivery) -> None:
        """Queue one delivery; blocks while the queue is full."""


class Connector(ABC):
    """Base class of every connector; ``name`` is its registry name (``mqtt``, ``osmand``...)."""

    name: ClassVar[str]
    description: ClassVar[str] = ""
    #: The routes (networks) whose devices this connector sends commands to.
    carries: ClassVar[tuple[str, ...]] = ()
    #: Whether :meth:`send` waits for the device itself (call it off the worker's thread).
    blocking: ClassVar[bool] = False

    def __init__(self, config: Mapping[str, Any], *, label: str | None = None, devices: Any = None) -> None:
        self.config = dict(config)
        self.label = label or self.name
        self.devices = devices  # an assets.live.devices.DeviceDirectory: device id → asset

    @classmethod
    @abstractmethod
    def check_config(cls, config: Mapping[str, Any]) -> dict[str, Any]:
        """Validate ``config`` and test it against the real broker or device; the normalised config."""

    @abstractmethod
    def run(self, sink: Sink) -> None:
        """Receive until :meth:`stop`, putting every message into ``sink``."""

    @abstractmethod
    def stop(self) -> None:
        """Make :meth:`run` return (soon)."""

    @abstractmethod
    def parse(self, delivery: Delivery) -> list[Record]:
        """The records a delivery carries; raises FormatError with the reason when it cannot be read."""

    def acknowledge(self, deliveries: Sequence[Delivery]) -> None:  # noqa: B027 - optional hook
        """Tell the source that these deliveries are stored (in the order received). Default: nothing."""

    def message_id(self, command: DeviceCommand) -> str:
        """The id the acknowledgement of ``command`` will carry (default: a new UUID)."""
        return str(uuid.uuid4())

    def send(self, command: DeviceCommand) -> Sending:
        """Put ``command`` on the wire (``command.message_id`` set); raises NotImplementedError when
        the connector carries no commands."""
        raise NotImplementedError(f"the {self.name} connector cannot send commands")

    def send_command(self, device_id: str, action: str, params: Mapping[str, Any] | None = None,
                     command_id: str | None = None, timeout: float = 5.0) -> str:
        """Send a command to a device on the first route this connector carries and wait for the
        transport (``command_id``: the id to use, else a new one); returns the command id.
        ConnectionError when the transport did not take it."""
        if not self.carries:
            raise NotImplementedError(f"the {self.name} connector cannot send commands")
        command_id = command_id or str(uuid.uuid4())
        command = DeviceCommand(command_id, 0, Route(self.carries[0], None, device_id), action, dict(params or {}))
        command = replace(command, message_id=self.message_id(command))
        outcome = self.send(command).result(timeout)
        if outcome.error is not None:
            raise ConnectionError(f"{self.name} {self.label}: {outcome.error}")
        return command_id
