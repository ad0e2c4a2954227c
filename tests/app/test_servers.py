"""The private servers: the real CLI in a throwaway data folder, and the session's throwaway servers."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import socket
import stat
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import psycopg
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from app.servers import PrivateBroker, PrivatePostgres
from app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


# -- the CLI ------------------------------------------------------------------------------------------
def citypilot(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the real ``citypilot`` command with ``home`` as its data folder."""
    script = Path(sys.executable).with_name("citypilot")
    cmd = [str(script)] if script.exists() else [sys.executable, "-c", "from app.cli import main; main()"]
    full_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MQTT_URL")}
    full_env.update(CITYPILOT_HOME=str(home), **env)
    return subprocess.run(
        [*cmd, *args], cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=180, check=False
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr + result.stdout
    return result.stdout + result.stderr


def status_json(home: Path) -> dict[str, dict[str, object]]:
    return json.loads(ok(citypilot(home, "services", "status", "--json")))


def kill_hard(pid: int) -> None:
    """SIGKILL a process and its children, like a power cut would."""
    children = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _ppid(p) == pid]
    for victim in [pid, *children]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(victim, signal.SIGKILL)


def _ppid(proc: Path) -> int | None:
    try:
        text = (proc / "stat").read_text()
    except OSError:
        return None
    return int(text[text.rindex(")") + 2 :].split()[1])


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    """A data folder under pytest's tmp dir: mode 0700 when root, like a clone under /root."""
    folder = tmp_path / "var"
    yield folder
    citypilot(folder, "services", "down", "--purge")


def test_services_up_twice_status_crash_and_down(home: Path) -> None:
    first = ok(citypilot(home, "services", "up"))
    assert "postgresql+psycopg://citypilot:" in first and "mqtt://citypilot:" in first
    again = ok(citypilot(home, "services", "up"))
    status = status_json(home)
    pg, mq = status["postgres"], status["mqtt"]
    assert pg["running"] and mq["running"] and pg["mode"] == mq["mode"] == "private"
    assert str(pg["url"]) in again and str(mq["url"]) in again  # same ports and passwords
    assert stat.S_IMODE((home / "servers.json").stat().st_mode) == 0o600
    settings = Settings.load({"CITYPILOT_HOME": str(home)})
    assert (settings.database_url, settings.mqtt_url) == (pg["url"], mq["url"])
    if os.geteuid() == 0:  # servers run unprivileged, their files where their users can reach them
        assert Path(str(pg["folder"])).stat().st_uid != 0 and Path(str(mq["folder"])).stat().st_uid != 0
        blocked = subprocess.run(["runuser", "-u", "postgres", "--", "test", "-x", str(home.parent)])
        moved = str(pg["folder"]).startswith("/var/lib/citypilot/")
        assert moved == (blocked.returncode != 0)  # pytest's tmp dir is 0700, like a clone under /root

    with psycopg.connect(str(pg["url"]).replace("+psycopg", "")) as conn:
        assert conn.execute("SELECT postgis_lib_version()").fetchone()[0].startswith("3.")
        assert conn.execute("SHOW fsync").fetchone()[0] == "on"
        assert conn.execute("SHOW listen_addresses").fetchone()[0] == "127.0.0.1"
        conn.execute("CREATE TABLE survivor (id int)")
        conn.commit()

    # a crash (or a reboot) leaves stale pid files behind: up starts both again
    for name in ("postgres", "mqtt"):
        folder = Path(str(status[name]["folder"]))
        pid_file = folder / ("data/postmaster.pid" if name == "postgres" else "mosquitto.pid")
        kill_hard(int(pid_file.read_text().split()[0]))
    ok(citypilot(home, "services", "up"))
    with psycopg.connect(str(pg["url"]).replace("+psycopg", "")) as conn:
        assert conn.execute("SELECT count(*) FROM survivor").fetchone() == (0,)

    ok(citypilot(home, "services", "down"))
    ok(citypilot(home, "services", "down"))  # already down: fine
    text = ok(citypilot(home, "services", "status"))
    assert text.count("stopped") == 2, text

    # its port taken meanwhile by another program: up picks another one and says so
    old_port = int(str(mq["url"]).rsplit(":", 1)[1])
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", old_port))
        squatter.listen()
        out = ok(citypilot(home, "services", "up"))
        assert f"port {old_port} is taken" in out
        assert status_json(home)["mqtt"]["running"]
        assert status_json(home)["mqtt"]["url"] != mq["url"]


def test_external_servers_are_not_started(tmp_path: Path) -> None:
    home = tmp_path / "var"
    env = {
        "DATABASE_URL": "postgresql://prod:secret@127.0.0.1:1/city",
        "MQTT_URL": "mqtt://ingest:secret@127.0.0.1:1",
    }
    ok(citypilot(home, "services", "up", **env))
    assert not (home / "servers.json").exists()
    status = json.loads(ok(citypilot(home, "services", "status", "--json", **env)))
    assert status["postgres"]["mode"] == "external" and not status["postgres"]["running"]
    assert status["postgres"]["url"] == "postgresql+psycopg://prod:***@127.0.0.1:1/city"
    assert status["mqtt"]["url"] == "mqtt://ingest:***@127.0.0.1:1"
    settings = Settings.load({"CITYPILOT_HOME": str(home), **env})
    assert settings.require_database_url() == "postgresql+psycopg://prod:secret@127.0.0.1:1/city"


def test_no_server_gives_a_clear_error(tmp_path: Path) -> None:
    settings = Settings.load({"CITYPILOT_HOME": str(tmp_path)})
    with pytest.raises(Exception, match=r"run `citypilot services up` or set DATABASE_URL"):
        settings.require_database_url()
    with pytest.raises(Exception, match=r"MQTT_URL"):
        settings.require_mqtt_url()


# -- the throwaway PostgreSQL -----------------------------------------------------------------------
def test_session_postgres_creates_databases_and_restarts(postgres_server: PrivatePostgres, pg_admin_url: str) -> None:
    plain = pg_admin_url.replace("+psycopg", "")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS scratch")
        conn.execute("CREATE DATABASE scratch")
    postgres_server.restart()
    with psycopg.connect(postgres_server.admin_url("scratch").replace("+psycopg", "")) as conn:
        conn.execute("CREATE EXTENSION postgis")
        assert conn.execute("SELECT ST_AsText(ST_Point(1, 2))").fetchone() == ("POINT(1 2)",)
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute("DROP DATABASE scratch")


# -- the throwaway Mosquitto ------------------------------------------------------------------------
class Client:
    """A paho-mqtt 2 (MQTT 5) client that records what it receives."""

    def __init__(
        self,
        broker: PrivateBroker,
        username: str | None,
        password: str | None = None,
        client_id: str = "",
        persistent: bool = False,
    ) -> None:
        self.messages: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self._connack = threading.Event()
        self.dropped = threading.Event()
        self._subacks: queue.Queue[int] = queue.Queue()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        if username is not None:
            self.client.username_pw_set(username, password)
        self.client.on_connect = self._on_connect
        self.client.on_message = lambda _c, _u, msg: self.messages.put((msg.topic, msg.payload))
        self.client.on_subscribe = lambda _c, _u, mid, _codes, _p: self._subacks.put(mid)
        self.client.on_disconnect = lambda *_args: self.dropped.set()
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 3600 if persistent else 0
        self.client.connect("127.0.0.1", broker.port or 0, clean_start=not persistent, properties=props)
        self.client.loop_start()
        assert self._connack.wait(10), "no CONNACK"

    def _on_connect(self, _c: object, _u: object, _flags: object, reason: mqtt.ReasonCode, _p: object) -> None:
        self.reason = reason
        if reason.is_failure:
            self.client.disconnect()  # no reconnection attempts
        self._connack.set()

    @property
    def accepted(self) -> bool:
        return not self.reason.is_failure

    def subscribe(self, topic: str) -> None:
        _, mid = self.client.subscribe(topic, qos=1)
        assert self._subacks.get(timeout=10) == mid

    def publish(self, topic: str, payload: bytes) -> None:
        self.client.publish(topic, payload, qos=1).wait_for_publish(10)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_broker_refuses_anonymous_and_wrong_passwords(broker: PrivateBroker) -> None:
    for username, password in ((None, None), ("citypilot", "wrong"), ("nobody", "x")):
        client = Client(broker, username, password)
        client.close()
        assert not client.accepted and client.reason.value in (134, 135), (username, client.reason)


def test_service_account_publishes_and_subscribes(broker: PrivateBroker) -> None:
    client = Client(broker, "citypilot", broker.password)
    assert client.accepted
    client.subscribe("anything/#")
    client.publish("anything/at/all", b"hello")
    assert client.messages.get(timeout=5) == ("anything/at/all", b"hello")
    client.close()


def test_device_accounts_stay_on_their_own_topics(broker: PrivateBroker) -> None:
    broker.add_client("lamp-a", "pass-a")
    broker.add_client("lamp-b", "pass-b")
    watcher = Client(broker, "citypilot", broker.password)
    watcher.subscribe("citypilot/v1/devices/#")

    forger = Client(broker, "lamp-a", "pass-a")
    forger.client.reconnect_delay_set(30, 30)
    forger.client.publish("citypilot/v1/devices/lamp-b/state", b"forged", qos=1)
    assert forger.dropped.wait(5), "mosquitto drops a client publishing outside its topics"
    forger.close()

    device = Client(broker, "lamp-a", "pass-a")
    device.subscribe("citypilot/v1/devices/lamp-a/cmd")
    device.publish("citypilot/v1/devices/lamp-a/state", b"genuine")
    assert watcher.messages.get(timeout=5) == ("citypilot/v1/devices/lamp-a/state", b"genuine")
    watcher.publish("citypilot/v1/devices/lamp-a/cmd", b"dim 50")
    assert device.messages.get(timeout=5) == ("citypilot/v1/devices/lamp-a/cmd", b"dim 50")
    assert watcher.messages.get(timeout=5)[1] == b"dim 50"  # the watcher sees the command too
    assert watcher.messages.empty()  # and never saw the forged state
    device.close()
    watcher.close()

    broker.remove_client("lamp-b")
    refused = Client(broker, "lamp-b", "pass-b")
    refused.close()
    assert not refused.accepted


def test_queued_message_survives_a_broker_restart(broker: PrivateBroker) -> None:
    client_id = f"persistent-{uuid.uuid4().hex[:8]}"
    topic = f"citypilot/v1/devices/{client_id}/telemetry"
    subscriber = Client(broker, "citypilot", broker.password, client_id=client_id, persistent=True)
    subscriber.subscribe(topic)
    subscriber.close()

    publisher = Client(broker, "citypilot", broker.password)
    publisher.publish(topic, b"kept")
    publisher.close()
    broker.restart()

    subscriber = Client(broker, "citypilot", broker.password, client_id=client_id, persistent=True)
    assert subscriber.messages.get(timeout=5) == (topic, b"kept")
    subscriber.close()
