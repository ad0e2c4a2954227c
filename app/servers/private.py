"""What a private server (PostgreSQL, Mosquitto) of the project has in common: where it lives, which
system user runs it, its port and password, and the restart/purge built on its own up/down."""

from __future__ import annotations

import secrets
from pathlib import Path

from app.servers.system import RunAs, remove_folder, server_location


class PrivateServer:
    """Base of the private servers: ``folder`` may move to /var/lib/citypilot/... when the service
    user cannot reach the requested one (see ``moved_reason``)."""

    service_user = ""  # the system user the server runs as when started by root
    package = ""  # the Debian package that provides it

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

    def restart(self) -> str:
        self.down()
        return self.up()

    def purge(self) -> None:
        """Stop the server and delete all its files."""
        self.down()
        remove_folder(self.folder)
