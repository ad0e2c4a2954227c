"""Benchmark: MQTT → PostGIS ingest at QoS 1, end to end, against a do-nothing subscriber (same run).

    .venv/bin/python benchmarks/bench_ingest.py [--messages 200000] [--ingests 2] [--publishers 4]

Uses the configured broker and database server (``citypilot services up``, or MQTT_URL and
DATABASE_URL; ``--admin-url`` for another PostgreSQL): it creates a database ``<name>_bench_ingest``
with the demo city (kept for the next run; ``--fresh`` rebuilds it) and empties its live tables.

1. **Backlog**: ``--ingests`` ingest processes (``citypilot ingest --client-id …``, one shared
   subscription) and a plain paho subscriber each subscribe once on a persistent session, then
   disconnect. ``--publishers`` processes publish the simulator's message mix (ChirpStack and TTS
   uplinks of lamps and sensors, vehicles' GPS; ``connectors.simulators.messages.backlog_messages``)
   at QoS 1, so that the broker queues the whole backlog for both.
2. **Raw rate**: the paho subscriber reconnects and drains its copy doing nothing (automatic PUBACK):
   messages / seconds from its first to its last message.
3. **Ingest rate**: the ingest processes start again and drain theirs into PostGIS: stored messages /
   seconds from the first committed batch to the last (polling ``ingest_counts``). Peak resident
   memory: the largest ``VmHWM`` of the ingest processes.
4. **Latency** (a live stream, not a backlog): lamp uplinks at ``--latency-rate`` messages/s for
   ``--latency-seconds``, each from a different lamp, device time = publish time; latency = the live
   state's ``last_seen`` (stamped in the committing transaction) − publish time.
5. **Burst**: one message from every device of the city at once — the simulator's burst (every LoRaWAN
   lamp and sensor, every tracker) plus a ``state`` message from every other light point (by its code)
   — pre-built and pushed by the publishers as fast as the broker takes them; seconds from the first
   publish until all are stored.

Publishers write pre-encoded MQTT packets on raw sockets (a device fleet sends in parallel; a Python
MQTT client would measure itself). Prints ``bench.ingest.*`` lines.
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing as mp
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from sqlalchemy import text
from support import ROOT, figure  # first: puts the project on sys.path

from app.settings import Settings
from assets.db import make_engine
from assets.db.admin import create_migrated_database, database_url
from assets.demo import load_demo
from assets.live.writer import libpq_url
from connectors.mqtt.client import BrokerUrl, connect_and_wait, connect_properties, make_client
from connectors.mqtt.formats import SUBSCRIPTIONS
from connectors.simulators.fleet_model import load_fleet
from connectors.simulators.messages import CityMessages, backlog_messages, city_burst_messages, iso_utc

RAW_ID = "citypilot-bench-raw"
SHARE_GROUP = "citypilot-bench-ingest"
LIVE_TABLES = ("live_state", "telemetry", "ingest_keys", "ingest_counts", "vehicle_positions", "device_events",
               "dead_letters")
INGEST_MAIN = "from app.cli.ingest_cmd import ingest_cmd; ingest_cmd(prog_name='citypilot ingest')"


# -- a fleet of raw-socket publishers ----------------------------------------------------------------
def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _mqtt_str(value: str | bytes) -> bytes:
    data = value.encode() if isinstance(value, str) else value
    return struct.pack("!H", len(data)) + data


def _packet(header: int, body: bytes) -> bytes:
    return bytes([header]) + _varint(len(body)) + body


def publish_raw(url: BrokerUrl, client_id: str, messages: list[tuple[str, bytes]]) -> tuple[float, float]:
    """Publish at QoS 1 over MQTT 3.1.1 by writing pre-encoded packets; returns (start, all acked)."""
    packets = b"".join(
        _packet(0x32, _mqtt_str(topic) + struct.pack("!H", i % 65535 + 1) + payload)
        for i, (topic, payload) in enumerate(messages)
    )
    sock = socket.create_connection((url.host, url.port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    flags = 0x02 | (0x80 if url.username else 0) | (0x40 if url.password else 0)
    body = _mqtt_str("MQTT") + bytes([4, flags]) + struct.pack("!H", 60) + _mqtt_str(client_id)
    body += (_mqtt_str(url.username) if url.username else b"") + (_mqtt_str(url.password) if url.password else b"")
    sock.sendall(_packet(0x10, body))
    connack = sock.recv(4)
    if len(connack) < 4 or connack[3] != 0:
        raise RuntimeError(f"publisher {client_id}: connection refused ({connack!r})")
    started = time.time()
    sock.sendall(packets)
    expected, received = 4 * len(messages), 0
    while received < expected:
        chunk = sock.recv(1 << 20)
        if not chunk:
            raise RuntimeError(f"publisher {client_id}: the broker closed the connection")
        received += len(chunk)
    done = time.time()
    sock.sendall(b"\xe0\x00")
    sock.close()
    return started, done


def _publisher(url: BrokerUrl, client_id: str, build: object, go: mp.Event, out: mp.Queue) -> None:
    messages = build()  # type: ignore[operator]
    go.wait()
    out.put(publish_raw(url, client_id, messages))


def run_publishers(url: BrokerUrl, builders: list, tag: str) -> tuple[float, float]:
    """Start one process per message builder, publish together; returns (first start, last ack)."""
    go, out = mp.Event(), mp.Queue()
    procs = [mp.Process(target=_publisher, args=(url, f"bench-pub-{tag}-{i}", b, go, out))
             for i, b in enumerate(builders)]
    for p in procs:
        p.start()
    time.sleep(0.5)
    go.set()
    results = [out.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
    return min(r[0] for r in results), max(r[1] for r in results)


# -- subscribers ---------------------------------------------------------------------------------------
def forget_session(url: BrokerUrl, client_id: str) -> None:
    """Delete a persistent session (and its queue) left by an earlier run."""
    client = make_client(url, client_id)
    connect_and_wait(client, url, clean_start=True, properties=connect_properties(0))
    client.disconnect()
    client.loop_stop()


def subscribe_once(url: BrokerUrl, client_id: str, topics: list[str]) -> None:
    """Create a persistent session subscribed to ``topics`` and disconnect: the broker queues for it."""
    client = make_client(url, client_id)
    problem = connect_and_wait(client, url, clean_start=True, properties=connect_properties(3600))
    if problem:
        raise RuntimeError(problem)
    done = mp.Event()
    client.on_subscribe = lambda *_: done.set()
    client.subscribe([(t, 1) for t in topics])
    done.wait(10)
    client.disconnect()
    client.loop_stop()


def _raw_drain(url: BrokerUrl, expected: int, out: mp.Queue) -> None:
    """A do-nothing paho subscriber (automatic PUBACK), reading as fast as paho can."""
    client = make_client(url, RAW_ID)
    state = {"n": 0, "first": 0.0, "last": 0.0}

    def on_message(_c, _u, _m) -> None:
        if state["n"] == 0:
            state["first"] = time.time()
        state["n"] += 1
        state["last"] = time.time()

    client.on_message = on_message
    client.connect(url.host, url.port, clean_start=False, properties=connect_properties(3600, 65535))
    deadline = time.time() + 600
    while state["n"] < expected and time.time() < deadline:
        client.loop(0.05)
    client.disconnect()
    out.put(state)


def raw_drain(url: BrokerUrl, expected: int) -> dict:
    out: mp.Queue = mp.Queue()
    proc = mp.Process(target=_raw_drain, args=(url, expected, out))
    proc.start()
    state = out.get(timeout=700)
    proc.join()
    return state


# -- ingest processes ------------------------------------------------------------------------------
class IngestProcesses:
    """``citypilot ingest`` processes on the bench database, each with its own client id."""

    def __init__(self, count: int, db_url: str, mqtt_url: str, batch_size: int, logs: Path) -> None:
        self.ids = [f"citypilot-bench-ingest-{k}" for k in range(count)]
        self.env = {**os.environ, "DATABASE_URL": db_url, "MQTT_URL": mqtt_url, "PYTHONPATH": str(ROOT)}
        self.batch_size = batch_size
        self.logs = logs
        self.procs: list[subprocess.Popen] = []

    def start(self) -> None:
        for client_id in self.ids:
            log = (self.logs / f"{client_id}.log").open("a")
            self.procs.append(subprocess.Popen(
                [sys.executable, "-c", INGEST_MAIN, "--client-id", client_id, "--batch-size", str(self.batch_size),
                 "--share-group", SHARE_GROUP, "--no-saved"],
                env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            ))
        deadline = time.time() + 60
        for client_id, proc in zip(self.ids, self.procs, strict=True):
            log = self.logs / f"{client_id}.log"
            while "connected to" not in log.read_text():
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError(f"ingest {client_id} did not connect:\n{log.read_text()[-2000:]}")
                time.sleep(0.05)

    def peak_rss_mb(self) -> float:
        peak = 0
        for proc in self.procs:
            for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        return peak / 1024

    def stop(self) -> None:
        for proc in self.procs:
            proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.procs = []


def stored(conn: psycopg.Connection) -> int:
    return int(conn.execute("SELECT coalesce(sum(messages), 0)::bigint FROM ingest_counts").fetchone()[0])


def wait_stored(conn: psycopg.Connection, target: int, timeout: float) -> tuple[float, int, float]:
    """Poll until ``target`` messages are stored: (time first seen > start count, count then, end time)."""
    start_count = stored(conn)
    first_t, first_n = 0.0, start_count
    deadline = time.time() + timeout
    while time.time() < deadline:
        n = stored(conn)
        now = time.time()
        if not first_t and n > start_count:
            first_t, first_n = now, n
        if n >= target:
            return first_t, first_n, now
        time.sleep(0.01)
    raise RuntimeError(f"only {stored(conn)} of {target} messages stored after {timeout:.0f} s")


# -- the database ------------------------------------------------------------------------------------
def bench_database(admin_url: str, name: str, fresh: bool) -> str:
    url = database_url(admin_url, name)
    engine = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
    engine.dispose()
    if fresh or not exists:
        create_migrated_database(admin_url, name).dispose()
    engine = make_engine(url)
    result = load_demo(engine)
    if result.loaded:
        print(f"# demo city loaded into {name}: {sum(result.counts.values()):,} assets", flush=True)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(LIVE_TABLES)}"))
    from assets.live.partitions import maintain

    maintain(engine)
    engine.dispose()
    return url


def burst_messages(engine: object) -> list[tuple[str, bytes]]:
    """The simulator's burst plus a state message from every light point without a LoRaWAN controller."""
    messages = city_burst_messages(engine)
    now = iso_utc(time.time())
    with engine.connect() as conn:  # type: ignore[attr-defined]
        codes = conn.execute(text("SELECT code FROM assets WHERE kind = 'luminaire' AND dev_eui IS NULL "
                                  "AND status <> 'removed'")).scalars().all()
    for code in codes:
        payload = {"id": str(uuid.uuid4()), "ts": now, "state": "ok", "values": {"lamp_on": False, "power_w": 0.0}}
        messages.append((f"citypilot/v1/devices/{code}/state", json.dumps(payload).encode()))
    return messages


def _backlog_builder(fleet: object, n: int, seed: int, start: float) -> object:
    return lambda: backlog_messages(fleet, n, seed=seed, start=start)  # type: ignore[arg-type]


def _slice_builder(messages: list, index: int, count: int) -> object:
    return lambda: messages[index::count]


def latency_stream(url: BrokerUrl, engine: object, rate: float, seconds: float) -> dict[int, float]:
    """Publish lamp uplinks at ``rate``/s, each lamp once; returns {asset id: publish time}."""
    fleet = load_fleet(engine)  # type: ignore[arg-type]
    lamps = fleet.lamps[: int(rate * seconds)]
    city = CityMessages(fleet, None, seed=99)
    client = make_client(url, "citypilot-bench-live")
    client.max_inflight_messages_set(65535)
    if connect_and_wait(client, url):
        raise RuntimeError("latency publisher cannot connect")
    sent: dict[int, float] = {}
    gc.freeze()  # a collector pause in this process would be counted as ingest latency
    gc.disable()
    start = time.time()
    for i, lamp in enumerate(lamps):
        due = start + i / rate
        wait = due - time.time()
        if wait > 0:
            time.sleep(wait)
        now = time.time()
        message = city.lora(lamp, now)
        client.publish(message.topic, message.payload, qos=1)
        sent[lamp.asset_id] = now
    gc.enable()
    time.sleep(0.5)
    client.disconnect()
    client.loop_stop()
    return sent


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--publishers", type=int, default=4)
    parser.add_argument("--ingests", type=int, default=2, help="ingest processes sharing the subscription")
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--latency-rate", type=float, default=1000.0)
    parser.add_argument("--latency-seconds", type=float, default=10.0)
    parser.add_argument("--admin-url", default=os.environ.get("BENCH_PG_ADMIN_URL"),
                        help="a PostgreSQL URL allowed to CREATE DATABASE (default: the configured server)")
    parser.add_argument("--fresh", action="store_true", help="rebuild the bench database")
    args = parser.parse_args()

    settings = Settings.load()
    url = BrokerUrl.parse(settings.require_mqtt_url())
    admin_url = args.admin_url or settings.require_database_url()
    name = f"{make_engine(admin_url).url.database}_bench_ingest"
    db_url = bench_database(admin_url, name, args.fresh)
    engine = make_engine(db_url)
    conn = psycopg.connect(libpq_url(db_url), autocommit=True)
    logs = Path(tempfile.mkdtemp(prefix="citypilot-bench-ingest-"))
    ingests = IngestProcesses(args.ingests, db_url, settings.require_mqtt_url(), args.batch_size, logs)
    shared = [f"$share/{SHARE_GROUP}/{t}" for t in SUBSCRIPTIONS]

    # 1. the backlog, queued for the ingest's sessions and the raw subscriber's
    for client_id in (*ingests.ids, RAW_ID):
        forget_session(url, client_id)
    for client_id in ingests.ids:
        subscribe_once(url, client_id, shared)
    subscribe_once(url, RAW_ID, list(SUBSCRIPTIONS))
    fleet = load_fleet(engine)
    per = args.messages // args.publishers
    base = time.time() - args.messages * 0.01
    builders = [_backlog_builder(fleet, per + (1 if i < args.messages % args.publishers else 0), i,
                                 base + i * per * 0.01) for i in range(args.publishers)]
    t0, t1 = run_publishers(url, builders, "backlog")
    print(f"# backlog: {args.messages:,} messages published in {t1 - t0:.1f} s by {args.publishers} processes",
          flush=True)

    # 2. the raw rate; the session is then forgotten so that the broker stops queueing for it
    raw = raw_drain(url, args.messages)
    raw_rate = (raw["n"] - 1) / (raw["last"] - raw["first"])
    forget_session(url, RAW_ID)

    # 3. the ingest rate
    ingests.start()
    first_t, first_n, end_t = wait_stored(conn, args.messages, 900)
    rate = (args.messages - first_n) / (end_t - first_t)
    figure("ingest.messages_per_second", rate, "msg/s", ".0f")
    figure("ingest.raw_messages_per_second", raw_rate, "msg/s", ".0f")
    figure("ingest.ratio_to_raw", rate / raw_rate, "", ".2f")
    figure("ingest.processes", args.ingests)
    figure("ingest.backlog_messages", args.messages)

    # 4. latency of a live stream
    sent = latency_stream(url, engine, args.latency_rate, args.latency_seconds)
    time.sleep(2)
    rows = conn.execute("SELECT asset_id, extract(epoch FROM last_seen) FROM live_state WHERE asset_id = ANY(%s)",
                        (list(sent),)).fetchall()
    latencies = [(float(seen) - sent[aid]) * 1000 for aid, seen in rows]
    figure("ingest.latency_p50_ms", percentile(latencies, 0.50), "ms", ".0f")
    figure("ingest.latency_p99_ms", percentile(latencies, 0.99), "ms", ".0f")
    figure("ingest.latency_stream_rate", args.latency_rate, "msg/s", ".0f")

    # 5. the burst: one message from every device of the city at once
    burst = burst_messages(engine)
    target = stored(conn) + len(burst)
    builders = [_slice_builder(burst, i, args.publishers) for i in range(args.publishers)]
    go_t, acked_t = run_publishers(url, builders, "burst")
    _f, _n, end_t = wait_stored(conn, target, 120)
    figure("ingest.burst_seconds", end_t - go_t, "s", ".2f")
    figure("ingest.burst_messages", len(burst))
    figure("ingest.burst_broker_accept_seconds", acked_t - go_t, "s", ".2f")
    figure("ingest.peak_rss_mb", ingests.peak_rss_mb(), "MB", ".0f")
    dead = conn.execute("SELECT count(*) FROM dead_letters").fetchone()[0]
    figure("ingest.dead_letters", dead)
    ingests.stop()
    for client_id in ingests.ids:
        forget_session(url, client_id)
    print(f"# ingest logs in {logs}", flush=True)


if __name__ == "__main__":
    mp.set_start_method("fork", force=True)
    main()
