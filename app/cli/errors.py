"""Expected errors become one clear ``error: ...`` line and exit status 1, never a stack trace."""

from __future__ import annotations

from typing import IO, Any

import click
import sqlalchemy.exc
from psycopg import errors as pg_errors

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
        except sqlalchemy.exc.ProgrammingError as exc:
            if isinstance(exc.orig, pg_errors.UndefinedTable):
                raise CliError(f"the database is not set up ({exc.orig.diag.message_primary}): "
                               "run `citypilot db upgrade` (or `make demo`)") from exc
            raise
        except sqlalchemy.exc.OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise CliError(f"cannot reach the database: {reason} (is it running? `citypilot services up`)") from exc
