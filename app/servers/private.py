"""What a private server (PostgreSQL, Mosquitto) of the project has in common: where it lives, which
system user runs it, its port and password, and the restart/purge built on its own up/down."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from pathlib import Path

from app.servers.system import RunAs, ServerError, pick_port, port_free, remove_folder, server_location, tail

log = logging.getLogger(__name__)


class PrivateServer:
    """Base of the private servers: ``folder`` may move to /var/lib/citypilot/... when the service
    user cannot reach the requested one (see ``moved_reason``)."""

    service_user = ""  # the system user the server runs as when started by root
    package = ""  # the Debian package that provides it
    label = ""  # its name in messages

    def __init__(self, folder: Path, port: int | None = None, password: str | None = None) -> None:
        self.requested = Path(folder).absolute()
        self.port = port
        self.password = password or secrets.token_urlsafe(18)
        self.moved_reason: str | None = None
        self._run_as: RunAs | None = None
        self._folder: Path | None = None

    @property
    def run_as(self) -> RunAs:
        if self._run_as is None:
            self._run_as = RunAs.for_service(self.service_user, self.package)
        return self._run_as

    @property
    def folder(self) -> Path:
        """The real folder of the server (``requested``, or a system folder; see ``moved_reason``)."""
        if self._folder is None:
            self._folder, self.moved_reason = server_location(self.requested, self.run_as)
        return self._folder

    def up(self) -> str:
        raise NotImplementedError

    def down(self) -> None:
        raise NotImplementedError

    def _start_on_free_port(self, start_once: Callable[[], bool], log_file: Path) -> None:
        """``start_once()`` (True once the server listens) on ``port``, or on another free port when a
        program took it meanwhile (three tries); ServerError with the end of ``log_file`` otherwise."""
        for _attempt in range(3):
            if self.port is None:
                self.port = pick_port()
            elif not port_free(self.port):
                old, self.port = self.port, pick_port({self.port})
                log.warning("%s: port %s is taken by another program; now on port %s", self.label, old, self.port)
            if start_once():
                return
            if port_free(self.port):  # not a port clash (e.g. a race with another instance): give up
                break
        raise ServerError(f"{self.label} did not start; the end of {log_file}:\n{tail(log_file)}")

    def restart(self) -> str:
        self.down()
        return self.up()

    def purge(self) -> None:
        """Stop the server and delete all its files."""
        self.down()
        remove_folder(self.folder)
