"""``citypilot ingest`` (devices → PostGIS) and ``citypilot connectors list|check|add|remove``."""

from __future__ import annotations

import gc
import json
import logging
import signal
import sys
import threading
import time
from typing import Any

import click
from sqlalchemy import Engine

from app.cli.context import engine
from app.settings import Settings
from assets.db import unit_of_work
from assets.live.devices import DeviceDirectory, DirectoryUnavailable
from assets.live.writer import LiveWriter
from connectors.base import Connector
from connectors.ingest import Ingest
from connectors.mqtt.client import BrokerUrl
from connectors.registry import (
    add_connector,
    build,
    connector_class,
    connector_names,
    remove_connector,
    saved_connectors,
)

log = logging.getLogger("citypilot.ingest")


def register(cli: click.Group) -> None:
    cli.add_command(ingest_cmd)
    cli.add_command(connectors_group)


@click.command("ingest")
@click.option("--batch-size", type=click.IntRange(1, 50_000), default=2000, show_default=True,
              help="Messages written per transaction at most.")
@click.option("--flush-ms", type=click.IntRange(1, 60_000), default=100, show_default=True,
              help="Write a smaller batch once its first message waited this long.")
@click.option("--osmand-port", type=click.IntRange(0, 65535), default=None,
              help="Also serve the OsmAnd HTTP protocol for phone trackers on this port.")
@click.option("--osmand-host", default="127.0.0.1", show_default=True, help="Address the OsmAnd server binds.")
@click.option("--client-id", default="citypilot-ingest", show_default=True,
              help="MQTT client id: stable per ingest process (its persistent session); give each process "
                   "its own when running several (they share the subscription).")
@click.option("--share-group", default="citypilot-ingest", show_default=True,
              help="Shared subscription group ($share/GROUP/...): the processes of one group split the messages.")
@click.option("--receive-maximum", type=click.IntRange(1, 65535), default=4000, show_default=True,
              help="Unacknowledged messages the broker may send at once (the back-pressure window).")
@click.option("--no-saved", is_flag=True, help="Ignore the connectors saved with `citypilot connectors add`.")
@click.option("--retire", is_flag=True,
              help="Retire --client-id (running fewer ingest processes than before): store what the broker "
                   "queued for it, then delete its session. Run it while another ingest of the group runs.")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
def ingest_cmd(batch_size: int, flush_ms: int, osmand_port: int | None, osmand_host: str, client_id: str,
               share_group: str, receive_maximum: int, no_saved: bool, retire: bool, verbose: bool) -> None:
    """Store what devices send (the broker of MQTT_URL / the private one, saved connectors, OsmAnd)
    until Ctrl-C or SIGTERM. Messages are acknowledged only once stored."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings.load()
    eng = engine()
    devices = DeviceDirectory(eng)
    while True:
        try:
            known = devices.load()
            break
        except DirectoryUnavailable as exc:
            log.warning("%s; retrying in 2 s", exc)
            time.sleep(2)
    log.info("%d device identities known", known)
    gc.freeze()  # the directory and the imports are permanent: keep the collector from walking them
    broker = build("mqtt", {"url": settings.require_mqtt_url(), "client_id": client_id, "share_group": share_group,
                            "receive_maximum": receive_maximum, "retire": retire}, label="broker", devices=devices)
    connectors: list[Connector] = [broker]
    if retire:
        _retire(eng, broker, LiveWriter(settings.require_database_url(), client=client_id), batch_size, flush_ms)
        return
    if not no_saved:
        with unit_of_work(eng, None) as session:
            for saved in saved_connectors(session, enabled_only=True):
                config: dict[str, Any] = {**saved.config}
                if saved.kind == "mqtt":
                    config["client_id"] = f"{client_id}.{saved.name}"
                connectors.append(build(saved.kind, config, label=saved.name, devices=devices))
    if osmand_port is not None:
        connectors.append(build("osmand", {"host": osmand_host, "port": osmand_port}, devices=devices))
    writer = LiveWriter(settings.require_database_url(), client=client_id)
    ingest = Ingest(eng, connectors, writer, batch_size=batch_size, flush_ms=flush_ms)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: ingest.stop())
    log.info("ingest %s: %s", client_id, ", ".join(f"{c.label} ({c.name})" for c in connectors))
    ingest.start()
    last, last_t = 0, time.monotonic()
    try:
        while not ingest.wait(10):
            written = ingest.stats.written
            now = time.monotonic()
            rate = (written.stored - last) / (now - last_t)
            last, last_t = written.stored, now
            log.info("stored %d messages (%.0f/s), %d duplicates, %d dead letters, %d retries",
                     written.stored, rate, written.duplicates, written.dead_letters, ingest.stats.retries)
    finally:
        ingest.stop()
        ingest.join()
        writer.close()


def _retire(eng: Engine, broker: Any, writer: LiveWriter, batch_size: int, flush_ms: int,
            quiet_s: float = 2.0) -> None:
    """Store what the broker queued for the retiring client id, then leave deleting its session."""
    ingest = Ingest(eng, [broker], writer, batch_size=batch_size, flush_ms=flush_ms)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    ingest.start()
    try:
        while not (broker.quiet_for() >= quiet_s and ingest.pending == 0):
            if stop.wait(0.2):
                click.echo(f"retiring {broker.config['client_id']} interrupted: its session is kept "
                           f"({ingest.stats.written.stored} messages stored so far)", err=True)
                return
        broker.drop_session_on_stop()
    finally:
        ingest.stop()
        ingest.join()
        writer.close()
    queued = "" if broker.session_present else " (the broker held no session for it)"
    click.echo(f"retired {broker.config['client_id']}: {ingest.stats.written.stored} queued messages stored, "
               f"{ingest.stats.written.duplicates} duplicates, {ingest.stats.written.dead_letters} dead letters; "
               f"its session is deleted{queued}")


# -- connectors ------------------------------------------------------------------------------------
@click.group("connectors")
def connectors_group() -> None:
    """The connector kinds CityPilot has and the connectors saved for `citypilot ingest`."""


@connectors_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_cmd(as_json: bool) -> None:
    """Connector kinds, then the saved connectors."""
    kinds = {name: connector_class(name).description for name in connector_names()}
    with unit_of_work(engine(), None) as session:
        saved = [
            {"name": c.name, "kind": c.kind, "enabled": c.enabled, "config": _redacted(c.config),
             "checked_at": c.checked_at.isoformat() if c.checked_at else None}
            for c in saved_connectors(session)
        ]
    if as_json:
        click.echo(json.dumps({"kinds": kinds, "saved": saved}, indent=2))
        return
    click.echo("kinds:")
    for name, text in kinds.items():
        click.echo(f"  {name:<10} {text}")
    click.echo("saved:" if saved else "saved: none (add one with `citypilot connectors add KIND ...`)")
    for c in saved:
        where = c["config"].get("url") or f"port {c['config'].get('port')}"
        click.echo(f"  {c['name']:<16} {c['kind']:<8} {'enabled' if c['enabled'] else 'disabled':<9} {where}")


def _redacted(config: dict[str, Any]) -> dict[str, Any]:
    out = dict(config)
    if out.get("url"):
        try:
            out["url"] = BrokerUrl.parse(out["url"]).redacted()
        except Exception:
            out["url"] = "(invalid)"
    return out


def _config(url: str | None, topics: tuple[str, ...], host: str | None, port: int | None) -> dict[str, Any]:
    config: dict[str, Any] = {}
    if url:
        config["url"] = url
    if topics:
        config["topics"] = list(topics)
    if host:
        config["host"] = host
    if port is not None:
        config["port"] = port
    return config


_kind = click.argument("kind")
_options = [
    click.option("--url", default=None, help="mqtt: mqtt://user:password@host:port of the broker."),
    click.option("--topic", "topics", multiple=True, help="mqtt: a topic filter (repeat; default: all formats)."),
    click.option("--host", default=None, help="osmand: the address to listen on."),
    click.option("--port", type=int, default=None, help="osmand: the port to listen on."),
]


def _with_options(fn: Any) -> Any:
    for option in reversed(_options):
        fn = option(fn)
    return fn


@connectors_group.command("check")
@_kind
@_with_options
def check_cmd(kind: str, url: str | None, topics: tuple[str, ...], host: str | None, port: int | None) -> None:
    """Test a configuration against the real broker or device, without saving it."""
    connector_class(kind).check_config(_config(url, topics, host, port))
    click.echo(f"{kind}: the configuration works")


@connectors_group.command("add")
@_kind
@click.option("--name", default=None, help="Name of the saved connector (default: the kind).")
@_with_options
def add_cmd(kind: str, name: str | None, url: str | None, topics: tuple[str, ...], host: str | None,
            port: int | None) -> None:
    """Check a configuration against the real broker or device, then save it (nothing is saved when
    the check fails)."""
    with unit_of_work(engine(), None) as session:
        saved = add_connector(session, kind, _config(url, topics, host, port), name=name)
        click.echo(f"saved connector {saved.name!r} ({kind}); `citypilot ingest` reads it from its next start")


@connectors_group.command("remove")
@click.argument("name")
def remove_cmd(name: str) -> None:
    """Delete a saved connector."""
    with unit_of_work(engine(), None) as session:
        remove_connector(session, name)
    click.echo(f"removed connector {name!r}")
