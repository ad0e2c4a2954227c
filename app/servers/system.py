"""Operating-system plumbing shared by the private servers: users, ports, processes, folders."""

from __future__ import annotations

import contextlib
import hashlib
import os
import pwd
import random
import shutil
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from assets.errors import CityPilotError

#: Where a server's files go when its unprivileged user cannot reach the data folder (e.g. under /root).
SYSTEM_ROOT = Path("/var/lib/citypilot")
#: Ports are drawn below Linux's ephemeral range so that outgoing connections never take them.
PORT_RANGE = (20000, 32000)


class ServerError(CityPilotError):
    """A private server could not be set up, started or stopped; the message says why and what to do."""


def is_root() -> bool:
    return os.geteuid() == 0


@dataclass(frozen=True)
class RunAs:
    """The account a server runs under: a system user when we are root, else ourselves."""

    name: str
    uid: int
    gid: int

    @classmethod
    def for_service(cls, system_user: str, package: str) -> RunAs:
        """``system_user`` (e.g. postgres) when root, the current user otherwise."""
        if not is_root():
            entry = pwd.getpwuid(os.geteuid())
            return cls(entry.pw_name, entry.pw_uid, os.getegid())
        try:
            entry = pwd.getpwnam(system_user)
        except KeyError:
            raise ServerError(
                f"system user {system_user!r} is missing: run `make bootstrap` or apt-get install {package}"
            ) from None
        return cls(entry.pw_name, entry.pw_uid, entry.pw_gid)

    @property
    def switches(self) -> bool:
        """True when commands must drop from root to this user."""
        return os.geteuid() != self.uid

    def popen_args(self) -> dict[str, object]:
        if not self.switches:
            return {}
        return {"user": self.uid, "group": self.gid, "extra_groups": []}

    def run(
        self,
        cmd: Sequence[str | Path],
        *,
        cwd: Path,
        env: Mapping[str, str] | None = None,
        timeout: float = 120,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``cmd`` as this user; on failure raise ServerError with the command's own output."""
        try:
            done = subprocess.run(
                [str(c) for c in cmd],
                cwd=cwd,
                env=dict(env) if env is not None else clean_env(),
                capture_output=True,
                text=True,
                timeout=timeout,
                stdin=subprocess.DEVNULL,
                **self.popen_args(),  # type: ignore[arg-type]
            )
        except subprocess.TimeoutExpired:
            raise ServerError(f"`{Path(cmd[0]).name}` did not finish within {timeout:.0f} s") from None
        if check and done.returncode != 0:
            output = (done.stderr or done.stdout).strip()
            raise ServerError(f"`{Path(cmd[0]).name}` failed (exit {done.returncode}): {output}")
        return done

    def can_reach(self, folder: Path) -> bool:
        """Whether this user can traverse into ``folder`` (or, if missing, its nearest existing parent)."""
        if not self.switches:
            return True
        probe = folder
        while not probe.exists():
            probe = probe.parent
        return self.run(["test", "-x", probe], cwd=Path("/"), check=False).returncode == 0

    def own(self, *paths: Path) -> None:
        """Give ``paths`` to this user (no-op unless we switch users)."""
        if self.switches:
            for path in paths:
                os.chown(path, self.uid, self.gid)


def clean_env() -> dict[str, str]:
    """The environment for server commands: ours without libpq variables that would redirect them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.setdefault("LANG", "C.UTF-8")
    return env


def server_location(requested: Path, run_as: RunAs) -> tuple[Path, str | None]:
    """Where a server's files live: ``requested``, or a system folder when ``run_as`` cannot reach it.

    Returns the folder and, when it moved, the reason (to print). A project cloned under /root (mode
    0700) is the usual case: the postgres and mosquitto users cannot traverse /root, and /root's mode
    is not ours to change.
    """
    requested = requested.absolute()
    digest = hashlib.sha256(str(requested.parent).encode()).hexdigest()[:12]  # one per data folder
    moved = SYSTEM_ROOT / digest / requested.name
    reason = f"user {run_as.name} cannot reach {requested}; its files are kept in {moved}"
    if run_as.switches and moved.exists() and not requested.exists():
        return moved, reason  # moved there earlier: stay with the data
    if run_as.can_reach(requested):
        return requested, None
    return moved, reason


def make_folder(folder: Path, run_as: RunAs, mode: int = 0o700) -> None:
    """Create ``folder`` (parents readable by all, as a system folder would be) owned by ``run_as``."""
    for parent in reversed(folder.parents):
        if not parent.exists():
            parent.mkdir()
            os.chmod(parent, 0o755)
    folder.mkdir(mode=mode, exist_ok=True)
    os.chmod(folder, mode)
    run_as.own(folder)


def remove_folder(folder: Path) -> None:
    """Delete a server folder, and its parent when that is an emptied system folder."""
    shutil.rmtree(folder, ignore_errors=True)
    if folder.parent.parent == SYSTEM_ROOT:
        with contextlib.suppress(OSError):
            folder.parent.rmdir()


def port_free(port: int) -> bool:
    """Whether 127.0.0.1:``port`` can be listened on (as a server with SO_REUSEADDR would)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def pick_port(avoid: set[int] | frozenset[int] = frozenset()) -> int:
    """A free TCP port on 127.0.0.1, drawn at random below the ephemeral range."""
    rng = random.SystemRandom()
    for _ in range(200):
        port = rng.randrange(*PORT_RANGE)
        if port not in avoid and port_free(port):
            return port
    raise ServerError(f"no free TCP port found between {PORT_RANGE[0]} and {PORT_RANGE[1]}")


def port_open(port: int, host: str = "127.0.0.1", timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def pid_alive(pid: int, name: str | None = None) -> bool:
    """Whether process ``pid`` runs (zombies count as dead), optionally checking its command name."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (OSError, ValueError):
        return False
    if stat[stat.rindex(")") + 2] in "ZX":
        return False
    if name is None:
        return True
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return bool(cmdline) and Path(os.fsdecode(cmdline[0])).name == name


def wait_gone(pid: int, timeout: float) -> bool:
    """Wait until ``pid`` exits; True if it did."""
    deadline = time.monotonic() + timeout
    while pid_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def tail(path: Path, lines: int = 8) -> str:
    """The last lines of a log file, for error messages."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


def require_binary(path: Path, package: str, what: str) -> Path:
    if not path.exists():
        raise ServerError(f"{what} is not installed: run `make bootstrap` or apt-get install {package}")
    return path
