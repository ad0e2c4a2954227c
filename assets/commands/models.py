"""Commands to devices: the command, one row per target device, the audit log of every transition,
and where each LoRaWAN device's downlinks go (learnt from its last uplink).

The ``commands`` and ``command_targets`` rows are the command's state; ``command_log`` is its audit:
who, when, which target, from which state to which, why.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from assets.commands.states import COMMAND_STATES, TARGET_STATES
from assets.models.base import Base, utcnow_column

ACTIONS = ("dim", "switch", "flash", "normal", "reboot")
NETWORKS = ("chirpstack", "tts", "citypilot")


def _among(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Command(Base):
    """One command as a person asked for it: action, parameters, selection, who and when, its summary state."""

    __tablename__ = "commands"
    __table_args__ = (
        CheckConstraint(_among("action", ACTIONS), name="action"),
        CheckConstraint(_among("state", COMMAND_STATES), name="state"),
        CheckConstraint("max_attempts BETWEEN 1 AND 10", name="max_attempts"),
        Index("ix_commands_state", "state"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    action: Mapped[str] = mapped_column(Text, nullable=False)
    params: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default="{}")
    target: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default="{}")
    comment: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(Text, nullable=False)
    needs_confirmation: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    max_attempts: Mapped[int] = mapped_column(SmallInteger, nullable=False, server_default="3")
    requested_by: Mapped[int] = mapped_column(Integer, ForeignKey("users.id"), nullable=False)
    requested_at: Mapped[dt.datetime] = utcnow_column(nullable=False)
    confirmed_by: Mapped[int | None] = mapped_column(Integer, ForeignKey("users.id"))
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_by: Mapped[int | None] = mapped_column(Integer, ForeignKey("users.id"))
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = utcnow_column(nullable=False)


class CommandTarget(Base):
    """One device of a command and where it is in its life (``queued`` → ``sent`` → ``acknowledged`` →
    ``verified``, or ``failed`` / ``timed_out`` / ``cancelled``). ``kind`` and ``code`` are kept as
    they were when the command was given; ``ack_ts`` is the device's (or network server's) time of
    the acknowledgement: a report at or after it tells whether the device obeyed."""

    __tablename__ = "command_targets"
    __table_args__ = (
        CheckConstraint(_among("state", TARGET_STATES), name="state"),
        Index("ix_command_targets_asset_id", "asset_id"),
        Index("ix_command_targets_open", "state", postgresql_where=text("state IN ('queued', 'sent', 'acknowledged')")),
    )

    command_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("commands.id", ondelete="CASCADE"), primary_key=True
    )
    asset_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    code: Mapped[str] = mapped_column(Text, nullable=False)
    state: Mapped[str] = mapped_column(Text, nullable=False, server_default="queued")
    attempts: Mapped[int] = mapped_column(SmallInteger, nullable=False, server_default="0")
    transport: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    ack_ts: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    acked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    deadline: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = utcnow_column(nullable=False)


class CommandLog(Base):
    """The audit of commands: every state change of a command (``asset_id`` null) or of one of its
    targets, with who made it (``actor_id`` null: the command worker) and why."""

    __tablename__ = "command_log"
    __table_args__ = (Index("ix_command_log_command_id", "command_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    command_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("commands.id", ondelete="CASCADE"), nullable=False)
    asset_id: Mapped[int | None] = mapped_column(BigInteger)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False,
                                            server_default=text("clock_timestamp()"))
    actor_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("users.id"))
    from_state: Mapped[str | None] = mapped_column(Text)
    to_state: Mapped[str] = mapped_column(Text, nullable=False)
    attempt: Mapped[int | None] = mapped_column(SmallInteger)
    detail: Mapped[str | None] = mapped_column(Text)


class DeviceRoute(Base):
    """Where a device's commands go, as learnt from its last uplink: the network server (``chirpstack``,
    ``tts``) with its application (ChirpStack application id, TTS ``app@tenant``) and the device id
    it knows the device by (DevEUI, TTS device id), or ``citypilot`` for our own MQTT contract."""

    __tablename__ = "device_routes"
    __table_args__ = (CheckConstraint(_among("network", NETWORKS), name="network"),)

    asset_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True)
    network: Mapped[str] = mapped_column(Text, nullable=False)
    application: Mapped[str | None] = mapped_column(Text)
    device_id: Mapped[str] = mapped_column(Text, nullable=False)
    seen_at: Mapped[dt.datetime] = utcnow_column(nullable=False)
