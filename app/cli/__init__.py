"""The ``citypilot`` command line: one group, one module per feature."""

from __future__ import annotations

import click

from app.cli.errors import run_cli


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="citypilot")
def cli() -> None:
    """CityPilot: assets, live data and field service for a connected city."""


def _register() -> None:
    from app.cli import assets_cmd, db_cmd, demo_cmd, io_cmd, services_cmd, stats_cmd, users_cmd

    for module in (services_cmd, db_cmd, users_cmd, assets_cmd, io_cmd, demo_cmd, stats_cmd):
        module.register(cli)


def main() -> None:
    """Console-script entry point."""
    _register()
    run_cli(cli)
