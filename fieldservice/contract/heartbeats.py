"""The heartbeat recorder: once a minute, whether each platform component answers, one row per component
and minute in ``heartbeats``. A probe that fails records ``ok = false`` with the reason; rows that cannot be
written (the database is down) are kept and written when it answers again, so its outage is on record."""

from __future__ import annotations

import datetime as dt
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from connectors.mqtt.client import BrokerUrl, connect_and_wait, make_client

#: The ingest is up when a device message was stored within this delay (messages flow).
INGEST_FRESH = dt.timedelta(minutes=3)

_UPSERT = text("""
    INSERT INTO heartbeats (component, minute, ok, detail) VALUES (:component, :minute, :ok, :detail)
    ON CONFLICT (component, minute) DO UPDATE SET ok = excluded.ok, detail = excluded.detail
""")


@dataclass(frozen=True)
class Beat:
    """One component's answer in one minute."""

    component: str
    minute: dt.datetime
    ok: bool
    detail: str | None = None


def probe_database(engine: Engine) -> str | None:
    """None when the database answers, else the reason."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return str(exc.__cause__ or exc).splitlines()[0]
    return None


def probe_ingest(engine: Engine, now: dt.datetime) -> str | None:
    """None when a device message was stored within :data:`INGEST_FRESH`."""
    try:
        with engine.connect() as conn:
            last = conn.execute(text("SELECT max(last_seen) FROM live_state")).scalar()
    except SQLAlchemyError:
        return "database down: ingest not checked"
    if last is None or now - last > INGEST_FRESH:
        return f"no device message stored since {last.isoformat() if last else 'ever'}"
    return None


def probe_web(url: str, timeout: float = 5.0) -> str | None:
    """None when the web server's health page answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return None if answer.status == 200 else f"HTTP {answer.status}"
    except OSError as exc:
        return str(exc)


def probe_broker(url: str, timeout: float = 5.0) -> str | None:
    """None when the MQTT broker accepts a connection."""
    broker = BrokerUrl.parse(url)
    client = make_client(broker, client_id="")
    try:
        return connect_and_wait(client, broker, timeout=timeout)
    finally:
        client.loop_stop()
        client.disconnect()


class Recorder:
    """Probes the components and writes their beats, keeping those the database could not take."""

    def __init__(self, engine: Engine, probes: dict[str, Callable[[dt.datetime], str | None]]) -> None:
        self.engine = engine
        self.probes = probes
        self.pending: list[Beat] = []

    def beat(self, now: dt.datetime | None = None) -> list[Beat]:
        """One pass: probe, then write everything pending; the beats of this pass."""
        now = now or dt.datetime.now(dt.UTC)
        minute = now.replace(second=0, microsecond=0)
        beats = []
        for component, probe in self.probes.items():
            reason = probe(now)
            beats.append(Beat(component, minute, reason is None, reason))
        self.pending.extend(beats)
        try:
            with self.engine.begin() as conn:
                conn.execute(_UPSERT, [b.__dict__ for b in self.pending])
            self.pending.clear()
        except SQLAlchemyError:
            self.pending = self.pending[-7 * 24 * 60 * len(self.probes):]  # a week at most
        return beats
