"""The database as the web app reaches it: one engine per app, units of work acting for the caller."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, g
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from assets.db import unit_of_work


@dataclass
class WebState:
    """What one app holds: its engine and resources to close with it (the live stream's listener)."""

    engine: Engine
    closers: list[Any] = field(default_factory=list)

    def close(self) -> None:
        for close in reversed(self.closers):
            close()
        self.engine.dispose()


def state() -> WebState:
    return current_app.extensions["citypilot"]


def engine() -> Engine:
    return state().engine


@contextmanager
def work() -> Iterator[Session]:
    """A unit of work on behalf of the signed-in user (anonymous: no actor)."""
    identity = getattr(g, "identity", None)
    with unit_of_work(engine(), identity.user_id if identity else None) as session:
        yield session
