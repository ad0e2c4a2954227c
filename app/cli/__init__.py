"""The ``citypilot`` command line: one root group, one module per feature, each with ``register(cli)``."""

from __future__ import annotations

from types import ModuleType

import click

from app.cli.errors import CityPilotGroup


def feature_modules() -> list[ModuleType]:
    """Every command module, in the order ``citypilot --help`` lists them."""
    from app.cli import (
        accounts_cmd,
        alarms_cmd,
        assets_cmd,
        commands_cmd,
        contract_cmd,
        crews_cmd,
        db_cmd,
        demo_cmd,
        desktop_cmd,
        ingest_cmd,
        io_cmd,
        kpis_cmd,
        maintenance_cmd,
        modbus_cmd,
        open311_cmd,
        orders_cmd,
        planning_cmd,
        serve_cmd,
        services_cmd,
        simulate_cmd,
        stats_cmd,
        tls_cmd,
        users_cmd,
    )

    # accounts_cmd adds `users password` and `tokens`: it comes right after users_cmd
    return [
        services_cmd, db_cmd, users_cmd, accounts_cmd, assets_cmd, io_cmd, demo_cmd, stats_cmd,
        ingest_cmd, simulate_cmd, modbus_cmd, alarms_cmd, commands_cmd, crews_cmd, orders_cmd,
        planning_cmd,  # fsplan: plans, escalations
        kpis_cmd, contract_cmd,
        open311_cmd,
        maintenance_cmd, serve_cmd,
        tls_cmd,  # the crew tablet's HTTPS certificate
        desktop_cmd,  # the planners' desktop (the `desktop` extra)
    ]


def build_cli(*modules: ModuleType) -> click.Group:
    """The root group with the commands of ``modules`` (all of them by default)."""

    @click.group(cls=CityPilotGroup, context_settings={"help_option_names": ["-h", "--help"]})
    @click.version_option(package_name="citypilot")
    def cli() -> None:
        """CityPilot: assets, live data and field service for a connected city."""

    for module in modules or feature_modules():
        module.register(cli)
    return cli


def main() -> None:
    """Console-script entry point."""
    build_cli().main(prog_name="citypilot")
