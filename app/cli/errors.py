"""Turn domain errors into clear one-line messages instead of stack traces."""

from __future__ import annotations

import sys

import click


def run_cli(group: click.Group) -> None:
    """Run the click group; known errors print ``error: ...`` and exit 1, never a traceback."""
    from assets.errors import CityPilotError

    try:
        group.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except CityPilotError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
