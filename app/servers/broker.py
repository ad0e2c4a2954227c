"""A private Mosquitto 2 broker in one folder: authentication on, ACLs, persistence, byte-bounded queues."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
import secrets
import signal
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from app.servers.private import PrivateServer
from app.servers.system import (
    ServerError,
    make_folder,
    pid_alive,
    port_free,
    require_binary,
    wait_gone,
)

log = logging.getLogger(__name__)

PACKAGE = "mosquitto"
MOSQUITTO = Path("/usr/sbin/mosquitto")
SERVICE_USER = "citypilot"
DEVICE_TOPICS = "citypilot/v1/devices/%u"
DEVICE_WRITES = ("state", "telemetry", "event", "gps", "ack")


@dataclass(frozen=True)
class AclRule:
    """One ACL line: ``user`` None makes it a pattern for every account (``%u`` = the username)."""

    user: str | None
    access: str  # read | write | readwrite | deny
    topic: str


#: The live-data contract: the service account does everything, a device only its own topics.
BASE_RULES: tuple[AclRule, ...] = (
    AclRule(SERVICE_USER, "readwrite", "#"),
    *(AclRule(None, "write", f"{DEVICE_TOPICS}/{leaf}") for leaf in DEVICE_WRITES),
    AclRule(None, "read", f"{DEVICE_TOPICS}/cmd"),
)
#: LoRaWAN network servers publishing uplinks into this broker (they get accounts via add_client).
LORAWAN_RULES: tuple[AclRule, ...] = (
    AclRule("chirpstack", "readwrite", "application/#"),
    AclRule("tts", "readwrite", "v3/#"),
)
DEFAULT_RULES = BASE_RULES + LORAWAN_RULES

CONFIG = """\
# Written by `citypilot services up` on every start (app/servers/broker.py): edit that, not this.
per_listener_settings false
listener {port} 127.0.0.1
allow_anonymous false
password_file {folder}/passwords
acl_file {folder}/acl
persistence true
persistence_location {folder}/
persistence_file mosquitto.db
autosave_interval 10
# Queues bounded in bytes, not by the small default count: a persistent session may hold a backlog.
max_queued_messages 0
max_queued_bytes 2000000000
max_inflight_messages 1000
max_packet_size 1048576
set_tcp_nodelay true
log_dest file {folder}/mosquitto.log
log_type error
log_type warning
log_type notice
log_type information
log_timestamp_format %Y-%m-%dT%H:%M:%S
pid_file {folder}/mosquitto.pid
"""

_USERNAME = re.compile(r"^[^\s:+#/]{1,128}$")


def hash_password(password: str, iterations: int = 101) -> str:
    """A Mosquitto 2 password-file hash (``$7$``: PBKDF2-SHA512), as ``mosquitto_passwd`` writes it."""
    salt = secrets.token_bytes(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations, 64)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def render_acl(rules: Iterable[AclRule]) -> str:
    """The ACL file: patterns first (they apply to every account), then one block per named user."""
    rules = list(rules)
    lines = ["# Written by app/servers/broker.py: add rules there or with PrivateBroker.add_client()."]
    lines += [f"pattern {r.access} {r.topic}" for r in rules if r.user is None]
    for user in dict.fromkeys(r.user for r in rules if r.user is not None):
        lines += ["", f"user {user}"]
        lines += [f"topic {r.access} {r.topic}" for r in rules if r.user == user]
    return "\n".join(lines) + "\n"


class PrivateBroker(PrivateServer):
    """A Mosquitto broker owned by the project: no anonymous clients, a ``citypilot`` service account
    that may do everything, device accounts limited to their own topics (see ``BASE_RULES``).

    Run as root, the broker runs as the ``mosquitto`` user, and its files move to /var/lib/citypilot/...
    when that user cannot reach ``folder``.
    """

    service_user = "mosquitto"
    package = PACKAGE
    label = "mosquitto"

    @property
    def log_file(self) -> Path:
        return self.folder / "mosquitto.log"

    @property
    def url(self) -> str:
        """``mqtt://citypilot:PASSWORD@127.0.0.1:PORT``: the service account."""
        return self.client_url(SERVICE_USER, self.password)

    def client_url(self, username: str, password: str) -> str:
        if self.port is None:
            raise ServerError("the private broker has no port yet: call up() first")
        return f"mqtt://{username}:{password}@127.0.0.1:{self.port}"

    # -- life cycle -----------------------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        """The broker's process id while it runs."""
        pid = self._pid_in_file()
        return pid if pid is not None and pid_alive(pid, "mosquitto") else None

    def _pid_in_file(self) -> int | None:
        try:
            return int((self.folder / "mosquitto.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):  # missing, or being written
            return None

    def running(self) -> bool:
        return self.pid is not None

    def up(self) -> str:
        """Create the folder and accounts if needed, start the broker if stopped; the service URL."""
        require_binary(MOSQUITTO, PACKAGE, "mosquitto")
        if self.running():
            self.port = self._configured_port() or self.port
            self._write_accounts()
            return self.url
        if self.moved_reason:
            log.info("mqtt: %s", self.moved_reason)
        make_folder(self.folder, self.run_as, 0o700)
        self._write_accounts()
        self._start()
        return self.url

    def down(self, timeout: float = 60) -> None:
        """Stop the broker with SIGTERM (it saves its persistence file) and wait; fine when stopped."""
        pid = self.pid
        if pid is None:
            return
        os.kill(pid, signal.SIGTERM)
        if not wait_gone(pid, timeout):
            log.warning("mqtt: mosquitto did not stop within %.0f s; killing it", timeout)
            os.kill(pid, signal.SIGKILL)
            wait_gone(pid, 5)

    def reload(self) -> None:
        """Make a running broker re-read its password and ACL files (SIGHUP); returns once it did."""
        pid = self.pid
        if pid is None:
            return
        try:
            offset = self.log_file.stat().st_size
        except OSError:
            offset = 0
        os.kill(pid, signal.SIGHUP)
        deadline = time.monotonic() + 5
        while not self._logged_since(offset, "Reloading config.") and time.monotonic() < deadline:
            time.sleep(0.01)

    # -- accounts -------------------------------------------------------------------------------------
    def add_client(self, username: str, password: str, rules: Iterable[tuple[str, str]] = ()) -> None:
        """Create or update an account; ``rules`` = extra (access, topic) pairs for it (devices need
        none: the device patterns apply to every account). Takes effect at once on a running broker."""
        self.add_clients({username: password}, {username: list(rules)} if rules else None)

    def add_clients(
        self, passwords: Mapping[str, str], rules: Mapping[str, Iterable[tuple[str, str]]] | None = None
    ) -> None:
        """Create or update many accounts with one reload (a whole fleet of devices)."""
        for username in passwords:
            if not _USERNAME.match(username):
                raise ServerError(f"invalid MQTT username {username!r}: no spaces, ':', '+', '#' or '/'")
        make_folder(self.folder, self.run_as, 0o700)
        accounts = self._accounts()
        accounts.update({user: hash_password(password) for user, password in passwords.items()})
        rules = rules or {}
        extra = [r for r in self._extra_rules() if r.user not in rules]
        extra += [AclRule(user, access, topic) for user, pairs in rules.items() for access, topic in pairs]
        self._save(accounts, extra)

    def remove_client(self, username: str) -> None:
        """Delete an account (its connected clients are disconnected by the reload)."""
        accounts = self._accounts()
        accounts.pop(username, None)
        self._save(accounts, [r for r in self._extra_rules() if r.user != username])

    def clients(self) -> list[str]:
        return sorted(self._accounts())

    # -- files ----------------------------------------------------------------------------------------
    def _accounts(self) -> dict[str, str]:
        try:
            lines = (self.folder / "passwords").read_text().splitlines()
        except OSError:
            return {}
        return dict(line.split(":", 1) for line in lines if ":" in line)

    def _extra_rules(self) -> list[AclRule]:
        try:
            raw = json.loads((self.folder / "acl_extra.json").read_text())
        except (OSError, ValueError):
            return []
        return [AclRule(**r) for r in raw]

    def _save(self, accounts: dict[str, str], extra: list[AclRule]) -> None:
        self._write("passwords", "".join(f"{u}:{h}\n" for u, h in accounts.items()))
        self._write("acl_extra.json", json.dumps([r.__dict__ for r in extra], indent=1))
        self._write("acl", render_acl([*DEFAULT_RULES, *extra]))
        self.reload()

    def _write_accounts(self) -> None:
        """(Re)write the service account with our password, and the ACL file."""
        accounts = self._accounts()
        accounts[SERVICE_USER] = hash_password(self.password)
        self._save(accounts, self._extra_rules())

    def _write(self, name: str, text: str) -> None:
        path = self.folder / name
        tmp = path.with_name(name + ".tmp")
        tmp.write_text(text)
        os.chmod(tmp, 0o600)
        self.run_as.own(tmp)
        tmp.replace(path)

    def _configured_port(self) -> int | None:
        match = re.search(r"^listener (\d+)", _read(self.folder / "mosquitto.conf"), re.M)
        return int(match.group(1)) if match else None

    def _logged_since(self, offset: int, text: str) -> bool:
        try:
            with self.log_file.open("rb") as log_file:
                log_file.seek(offset)
                return text.encode() in log_file.read()
        except OSError:
            return False

    def _start(self) -> None:
        self._start_on_free_port(self._start_once, self.log_file)

    def _start_once(self) -> bool:
        self._write("mosquitto.conf", CONFIG.format(port=self.port, folder=self.folder))
        (self.folder / "mosquitto.pid").unlink(missing_ok=True)  # stale: left by a crash or a reboot
        conf = self.folder / "mosquitto.conf"
        self.run_as.run([MOSQUITTO, "-d", "-c", conf], cwd=self.folder)
        return self._wait_listening()

    def _wait_listening(self, timeout: float = 10) -> bool:
        """Wait until the daemon runs and listens; False early when it died (e.g. the port was taken)."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if self.running() and not port_free(self.port or 0):
                return True
            pid = self._pid_in_file()
            if (pid is not None and not pid_alive(pid)) or (pid is None and time.monotonic() - start > 3):
                return False
            time.sleep(0.02)
        return False


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""
