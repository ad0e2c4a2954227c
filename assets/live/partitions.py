"""Partitions of the live history tables: made ahead of time, dropped once past their retention.

Each partitioned table (``telemetry``, ``ingest_keys``, ``vehicle_positions``) is cut by day or month
of device time (UTC) into tables of the ``live_parts`` schema named ``TABLE_pYYYYMMDD`` / ``_pYYYYMM``,
as ``live_retention`` says. Rows no dated partition takes land in the default partition: a new
partition takes over its rows, and pruning deletes the default partition's rows past the retention.
The device events and the dead letters are not partitioned (``part_interval = 'none'``): pruning
deletes their rows received more than ``keep_days`` ago. The ingest calls :func:`maintain` at start
and hourly; ``citypilot maintenance prune`` too.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text

from assets.errors import FieldError, ValidationError
from assets.live.models import PARTS_SCHEMA

PARTITIONED = ("telemetry", "ingest_keys", "vehicle_positions")
#: Tables kept by age without partitions: the column that dates a row.
AGED = {"device_events": "received_at", "dead_letters": "received_at"}
_LOCK = "SELECT pg_advisory_xact_lock(hashtext('citypilot.live.partitions'))"
_NAME = re.compile(r"^(?P<table>\w+)_p(?P<stamp>\d{6}|\d{8})$")


@dataclass(frozen=True)
class Retention:
    """How one history table is cut (``none``: not partitioned) and how long it is kept."""

    table: str
    interval: str  # day | month | none (not partitioned)
    keep_days: int
    premake_days: int


@dataclass(frozen=True)
class MaintenanceReport:
    """Partitions created, partitions dropped and rows deleted (default partitions, tables kept by age), per table."""

    created: dict[str, list[str]]
    dropped: dict[str, list[str]]
    deleted_rows: dict[str, int]


def policies(conn: Connection) -> list[Retention]:
    rows = conn.execute(
        text("SELECT table_name, part_interval, keep_days, premake_days FROM live_retention ORDER BY table_name")
    )
    return [Retention(*row) for row in rows]


def set_retention(conn: Connection, table: str, keep_days: int, interval: str | None = None) -> Retention:
    """Change how long ``table`` keeps its rows (and, for future partitions, how it is cut)."""
    errors = []
    if table not in PARTITIONED and table not in AGED:
        errors.append(FieldError("table", f"{table!r} is not one of {', '.join((*PARTITIONED, *AGED))}"))
    elif table in AGED and interval is not None:
        errors.append(FieldError("interval", f"{table} is not partitioned: only its days can change"))
    if keep_days < 1:
        errors.append(FieldError("keep_days", f"must be at least 1, got {keep_days}"))
    if interval is not None and interval not in ("day", "month"):
        errors.append(FieldError("interval", f"{interval!r} is not 'day' or 'month'"))
    if errors:
        raise ValidationError(errors)
    row = conn.execute(
        text(
            "UPDATE live_retention SET keep_days = :keep, part_interval = coalesce(:interval, part_interval) "
            "WHERE table_name = :table RETURNING table_name, part_interval, keep_days, premake_days"
        ),
        {"keep": keep_days, "interval": interval, "table": table},
    ).one()
    return Retention(*row)


def _floor(day: dt.date, interval: str) -> dt.date:
    return day.replace(day=1) if interval == "month" else day


def _next(start: dt.date, interval: str) -> dt.date:
    if interval == "day":
        return start + dt.timedelta(days=1)
    return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _name(table: str, start: dt.date, interval: str) -> str:
    return f"{table}_p{start:%Y%m}" if interval == "month" else f"{table}_p{start:%Y%m%d}"


def _bound(day: dt.date) -> str:
    return f"{day.isoformat()} 00:00:00+00"


def partitions(conn: Connection, table: str) -> list[tuple[str, dt.date, dt.date]]:
    """The dated partitions of ``table``: (name, first day, day after the last), oldest first."""
    rows = conn.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE i.inhparent = CAST(:parent AS regclass) AND n.nspname = :schema"
        ),
        {"parent": table, "schema": PARTS_SCHEMA},
    ).scalars()
    found = []
    for name in rows:
        match = _NAME.match(name)
        if not match or match["table"] != table:
            continue
        stamp = match["stamp"]
        if len(stamp) == 8:
            start = dt.date(int(stamp[:4]), int(stamp[4:6]), int(stamp[6:]))
            found.append((name, start, _next(start, "day")))
        else:
            start = dt.date(int(stamp[:4]), int(stamp[4:]), 1)
            found.append((name, start, _next(start, "month")))
    return sorted(found, key=lambda p: p[1])


def ensure_partitions(
    conn: Connection, start: dt.date, end: dt.date, tables: tuple[str, ...] | None = None
) -> dict[str, list[str]]:
    """Create the dated partitions covering ``start``..``end`` (inclusive) that are missing, moving
    any rows of their range out of the default partition. Returns the names created per table."""
    conn.execute(text(_LOCK))
    created: dict[str, list[str]] = {}
    for policy in policies(conn):
        if policy.table not in PARTITIONED or (tables is not None and policy.table not in tables):
            continue
        existing = partitions(conn, policy.table)
        cursor = _floor(start, policy.interval)
        while cursor <= end:
            upper = _next(cursor, policy.interval)
            overlaps = any(lo < upper and cursor < hi for _, lo, hi in existing)
            if not overlaps:
                name = _name(policy.table, cursor, policy.interval)
                _attach(conn, policy.table, name, cursor, upper)
                created.setdefault(policy.table, []).append(name)
            cursor = upper
    return created


def _attach(conn: Connection, table: str, name: str, lower: dt.date, upper: dt.date) -> None:
    """Create the partition beside the table, move the default partition's rows of its range into it,
    then attach it (lighter locks than CREATE ... PARTITION OF, and no refusal when rows exist)."""
    qualified = f"{PARTS_SCHEMA}.{name}"
    default = f"{PARTS_SCHEMA}.{table}_default"
    bounds = {"lo": _bound(lower), "hi": _bound(upper)}
    conn.execute(text(f"CREATE TABLE {qualified} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"))
    conn.execute(
        text(
            f"WITH moved AS (DELETE FROM {default} WHERE ts >= CAST(:lo AS timestamptz) "
            f"AND ts < CAST(:hi AS timestamptz) RETURNING *) INSERT INTO {qualified} SELECT * FROM moved"
        ),
        bounds,
    )
    conn.execute(
        text(
            f"ALTER TABLE {table} ATTACH PARTITION {qualified} "
            f"FOR VALUES FROM ('{bounds['lo']}') TO ('{bounds['hi']}')"
        )
    )


def prune(conn: Connection, now: dt.datetime | None = None) -> tuple[dict[str, list[str]], dict[str, int]]:
    """Drop the partitions entirely older than each table's retention, and delete the default
    partition's rows older than it (a table kept by age: its rows older than it). Returns (dropped
    partition names, deleted rows) per table."""
    conn.execute(text(_LOCK))
    now = now or dt.datetime.now(dt.UTC)
    dropped: dict[str, list[str]] = {}
    deleted: dict[str, int] = {}
    for policy in policies(conn):
        cutoff = now - dt.timedelta(days=policy.keep_days)
        if policy.table in AGED:
            result = conn.execute(text(f"DELETE FROM {policy.table} WHERE {AGED[policy.table]} < :cutoff"),
                                  {"cutoff": cutoff})
            if result.rowcount:
                deleted[policy.table] = result.rowcount
            continue
        for name, _lower, upper in partitions(conn, policy.table):
            if dt.datetime.combine(upper, dt.time(), dt.UTC) <= cutoff:
                conn.execute(text(f"DROP TABLE {PARTS_SCHEMA}.{name}"))
                dropped.setdefault(policy.table, []).append(name)
        result = conn.execute(
            text(f"DELETE FROM {PARTS_SCHEMA}.{policy.table}_default WHERE ts < :cutoff"), {"cutoff": cutoff}
        )
        if result.rowcount:
            deleted[policy.table] = result.rowcount
    return dropped, deleted


def maintain(engine: Engine, now: dt.datetime | None = None) -> MaintenanceReport:
    """Partitions from yesterday to ``premake_days`` ahead, then the retention: one transaction each,
    serialised between processes by an advisory lock; lock waits are bounded (5 s)."""
    now = now or dt.datetime.now(dt.UTC)
    today = now.date()
    created: dict[str, list[str]] = {}
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL lock_timeout = '5s'"))
        for policy in policies(conn):
            made = ensure_partitions(
                conn, today - dt.timedelta(days=1), today + dt.timedelta(days=policy.premake_days), (policy.table,)
            )
            created.update(made)
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL lock_timeout = '5s'"))
        dropped, deleted = prune(conn, now)
    return MaintenanceReport(created, dropped, deleted)
