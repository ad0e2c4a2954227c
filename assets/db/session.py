"""Engines and units of work: every write happens inside one, on behalf of a known user."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

ACTOR_SETTING = "citypilot.actor_id"


def make_engine(url: str, **kw: object) -> Engine:
    """A SQLAlchemy engine on psycopg 3, in UTC, with a modest pool."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    kw.setdefault("pool_pre_ping", True)
    # Short interactive queries: JIT compilation costs more than it saves (100+ ms on a misestimate), and
    # generic plans of recursive and spatial queries ignore the selectivity of their parameters.
    options = "-c timezone=UTC -c jit=off -c plan_cache_mode=force_custom_plan"
    kw.setdefault("connect_args", {"options": options})
    return create_engine(url, **kw)  # type: ignore[arg-type]


def set_actor(session: Session, actor_id: int | None) -> None:
    """Tell the audit triggers who acts for the rest of this transaction."""
    session.execute(
        text("SELECT set_config(:name, :value, true)"),
        {"name": ACTOR_SETTING, "value": "" if actor_id is None else str(actor_id)},
    )


@contextmanager
def unit_of_work(engine: Engine, actor_id: int | None) -> Iterator[Session]:
    """A session in one transaction on behalf of ``actor_id``; commits on success, rolls back on error."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        set_actor(session, actor_id)
        yield session
