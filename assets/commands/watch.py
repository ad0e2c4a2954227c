"""Following one command as it happens: its snapshot at once, then again at each change announced on
``citypilot_commands`` (or every ``interval_s`` at the latest), until it is over."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import psycopg
from sqlalchemy import Engine

from assets.commands.states import FINISHED_COMMAND_STATES, OPEN_TARGET_STATES
from assets.commands.views import MAX_PAGE, command_dict
from assets.db import unit_of_work
from assets.live.channels import COMMAND_CHANNEL

MIN_GAP_S = 0.1


def is_over(data: dict[str, Any]) -> bool:
    """Finished, and no target still followed (a cancelled command's acknowledged targets are still verified)."""
    return data["state"] in FINISHED_COMMAND_STATES and not any(data["counts"][s] for s in OPEN_TARGET_STATES)


def follow(engine: Engine, command_id: int, *, interval_s: float = 2.0, timeout_s: float | None = None,
           targets_limit: int = MAX_PAGE) -> Iterator[dict[str, Any]]:
    """Snapshots of the command (as :func:`command_dict`, its first ``targets_limit`` targets) each time
    it changed, the last one when it is over (or after ``timeout_s``)."""
    dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'LISTEN "{COMMAND_CHANNEL}"')
        last: dict[str, Any] | None = None
        taken = 0.0
        while True:
            time.sleep(max(0.0, taken + MIN_GAP_S - time.monotonic()))  # a big group: a snapshot per 0.1 s at most
            taken = time.monotonic()
            with unit_of_work(engine, None) as session:
                data = command_dict(session, command_id, targets_limit=targets_limit)
            if data != last:
                yield data
                last = data
            if is_over(data) or (deadline is not None and time.monotonic() > deadline):
                return
            for note in conn.notifies(timeout=interval_s):
                try:
                    if json.loads(note.payload).get("id") == command_id:
                        break
                except ValueError:
                    continue
