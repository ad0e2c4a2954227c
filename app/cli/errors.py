"""Expected errors become one clear ``error: ...`` line and exit status 1, never a stack trace."""

from __future__ import annotations

from typing import IO, Any

import click

from assets.errors import CityPilotError
from gis.crs import CrsError


class CliError(click.ClickException):
    """A domain error shown as ``error: <message>``."""

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True, file=file)


class CityPilotGroup(click.Group):
    """The root group: turns CityPilot's own errors into :class:`CliError` for every subcommand."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (CityPilotError, CrsError) as exc:
            raise CliError(str(exc)) from exc
