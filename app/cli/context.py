"""What every command needs: the database engine and the acting user."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
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


def repeat(every_s: float | None, once: Callable[[], None]) -> None:
    """Run ``once``, then again every ``every_s`` seconds until Ctrl-C or SIGTERM (None: one pass)."""
    stop = threading.Event()
    if every_s is not None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
    while True:
        once()
        if every_s is None or stop.wait(every_s):
            return


every_option = click.option("--every", "every_s", type=click.FloatRange(1), default=None, metavar="S",
                            help="Repeat every S seconds until Ctrl-C or SIGTERM (default: one pass).")
