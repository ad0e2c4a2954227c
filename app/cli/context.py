"""What every command needs: the database engine and the acting user."""

from __future__ import annotations

import os
from functools import cache

import click
from sqlalchemy import Engine

from app.settings import Settings
from assets.db import make_engine, unit_of_work
from assets.users import SYSTEM_USER, active_user


@cache
def engine() -> Engine:
    """The engine on the configured database (DATABASE_URL or the private server)."""
    return make_engine(Settings.load().require_database_url())


def actor_id(name: str | None) -> int:
    """The id of the user acting (``--user``, else CITYPILOT_USER, else ``system``); must be enabled."""
    name = name or os.environ.get("CITYPILOT_USER") or SYSTEM_USER
    with unit_of_work(engine(), None) as session:
        return active_user(session, name).id


user_option = click.option(
    "--user", "user", metavar="NAME", default=None,
    help="Who makes the change (default: $CITYPILOT_USER, else 'system').",
)
