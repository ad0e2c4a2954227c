"""The batched writer of live data: one transaction per batch, COPY for history, no per-row ORM.

``LiveWriter.write(records)`` stores a batch of :mod:`assets.live.records` and commits, in this order:
the message identities into ``ingest_keys`` (``ON CONFLICT DO NOTHING``: only the new ones go on),
the telemetry values by COPY (one narrow row per value), vehicle positions, events, the live state
(one upsert per asset, keeping the newest by device time, in asset order so that concurrent ingest
processes never deadlock), the dead letters and the day's message count. When ``write`` returns, the
batch is durable: that is when the ingest acknowledges the messages to the broker.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import psycopg

from assets.live.channels import LIVE_CHANNEL
from assets.live.marks import write_intervals, write_unreachable
from assets.live.records import DeadLetter, Event, Position, Reading, Record, Unreachable
from gis.crs import WGS84_SRID, to_storage

try:  # optional accelerator (same output as json.dumps for the values we store)
    import orjson

    def _dumps(value: Any) -> str:
        return orjson.dumps(value).decode()
except ImportError:  # pragma: no cover - depends on the environment

    def _dumps(value: Any) -> str:
        return json.dumps(value, separators=(",", ":"), allow_nan=False)


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL (``postgresql+psycopg://``) as the plain libpq URL psycopg connects with."""
    scheme, sep, rest = url.partition("://")
    return ("postgresql" + sep + rest) if scheme.startswith(("postgresql", "postgres")) else url


@dataclass
class WriteResult:
    """What one batch did: messages stored (new), duplicates skipped, rows written per table."""

    stored: int = 0
    duplicates: int = 0
    telemetry_rows: int = 0
    positions: int = 0
    events: int = 0
    live_rows: int = 0
    dead_letters: int = 0
    unreachable: int = 0

    def add(self, other: WriteResult) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


# Parameters are whole arrays written as PostgreSQL array literals (``_array``...): one text value per
# column instead of thousands of Python-dumped elements.
_KEYS_SQL = """
WITH new AS (
    INSERT INTO ingest_keys (key, ts)
    SELECT k, t FROM unnest(%(keys)s::int8[], %(ts)s::timestamptz[]) AS u(k, t)
    ON CONFLICT DO NOTHING
    RETURNING key, ts
), counted AS (
    INSERT INTO ingest_counts (day, client, messages)
    SELECT (now() AT TIME ZONE 'UTC')::date, %(client)s, count(*) + %(unkeyed)s FROM new
    HAVING count(*) + %(unkeyed)s > 0
    ON CONFLICT (day, client) DO UPDATE SET messages = ingest_counts.messages + excluded.messages
)
SELECT key, ts FROM new
"""

_COUNT_SQL = """
INSERT INTO ingest_counts (day, client, messages) VALUES ((now() AT TIME ZONE 'UTC')::date, %s, %s)
ON CONFLICT (day, client) DO UPDATE SET messages = ingest_counts.messages + excluded.messages
"""

_POSITIONS_SQL = """
INSERT INTO vehicle_positions (asset_id, ts, geom, speed_kmh, heading_deg, altitude_m, accuracy_m, source)
SELECT a, t, ST_SetSRID(ST_MakePoint(x, y), 2154), s, h, z, acc, src
FROM unnest(%s::int8[], %s::timestamptz[], %s::float8[], %s::float8[], %s::float8[], %s::float8[],
            %s::float8[], %s::float8[], %s::text[]) AS u(a, t, x, y, s, h, z, acc, src)
ON CONFLICT DO NOTHING
"""

_EVENTS_SQL = """
INSERT INTO device_events (asset_id, ts, name, detail, source)
SELECT a, t, n, d::jsonb, s FROM unnest(%s::int8[], %s::timestamptz[], %s::text[], %s::text[], %s::text[])
    AS u(a, t, n, d, s)
"""

_DEAD_SQL = """
INSERT INTO dead_letters (received_at, connector, topic, format, reason, payload)
SELECT coalesce(r, now()), c, t, f, why, p
FROM unnest(%s::timestamptz[], %s::text[], %s::text[], %s::text[], %s::text[], %s::bytea[]) AS u(r, c, t, f, why, p)
"""

#: One row per asset. The state follows the newest message that told one (``state_ts``); the values
#: of a newer message override, those of an older one only fill metrics the row lacks; the position
#: and source follow the newest message.
_LIVE_SQL = """
INSERT INTO live_state AS l (asset_id, state, state_ts, state_since, ts, last_seen, values, geom, speed_kmh,
                             heading_deg, source)
SELECT a, coalesce(st, 'ok'), stt, coalesce(stt, t), t, clock_timestamp(), v::jsonb,
       CASE WHEN x IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint(x, y), 2154) END,
       s, h, src
FROM unnest(%s::int8[], %s::text[], %s::timestamptz[], %s::timestamptz[], %s::text[], %s::float8[], %s::float8[],
            %s::float8[], %s::float8[], %s::text[]) AS u(a, st, stt, t, v, x, y, s, h, src)
ORDER BY a
ON CONFLICT (asset_id) DO UPDATE SET
    state = CASE WHEN excluded.state_ts >= coalesce(l.state_ts, '-infinity') THEN excluded.state ELSE l.state END,
    state_since = CASE WHEN excluded.state_ts >= coalesce(l.state_ts, '-infinity') AND excluded.state <> l.state
                       THEN excluded.state_ts ELSE l.state_since END,
    state_ts = greatest(l.state_ts, excluded.state_ts),
    ts = greatest(l.ts, excluded.ts),
    last_seen = excluded.last_seen,
    values = CASE WHEN excluded.ts >= l.ts THEN l.values || excluded.values ELSE excluded.values || l.values END,
    geom = CASE WHEN excluded.geom IS NOT NULL AND excluded.ts >= l.ts THEN excluded.geom ELSE l.geom END,
    speed_kmh = CASE WHEN excluded.geom IS NOT NULL AND excluded.ts >= l.ts THEN excluded.speed_kmh
                     ELSE l.speed_kmh END,
    heading_deg = CASE WHEN excluded.geom IS NOT NULL AND excluded.ts >= l.ts THEN excluded.heading_deg
                       ELSE l.heading_deg END,
    source = CASE WHEN excluded.ts >= l.ts THEN excluded.source ELSE l.source END
RETURNING l.asset_id, l.state, l.state_since, l.ts, l.geom, l.speed_kmh, l.heading_deg
"""

# The upsert, announcing on LIVE_CHANNEL what it changed: the join on live_state reads the rows as
# they were before the statement, so only real changes are announced.
_LIVE_NOTIFY_SQL = f"""
WITH up AS ({_LIVE_SQL})
SELECT count(pg_notify(%s, payload)) FROM (
    SELECT json_build_object('type', 'state', 'asset_id', up.asset_id, 'kind', a.kind, 'state', up.state,
                             'previous', b.state, 'since', up.state_since, 'ts', up.ts)::text AS payload
      FROM up JOIN assets a ON a.id = up.asset_id LEFT JOIN live_state b ON b.asset_id = up.asset_id
     WHERE b.state IS DISTINCT FROM up.state
    UNION ALL
    SELECT json_build_object('type', 'position', 'asset_id', up.asset_id,
                             'lon', round(ST_X(p)::numeric, 7), 'lat', round(ST_Y(p)::numeric, 7),
                             'speed_kmh', up.speed_kmh, 'heading_deg', up.heading_deg, 'ts', up.ts)::text
      FROM up LEFT JOIN live_state b ON b.asset_id = up.asset_id,
           LATERAL ST_Transform(up.geom, 4326) AS p
     WHERE up.geom IS NOT NULL AND up.geom IS DISTINCT FROM b.geom
) AS changes
"""


class _Live:
    """The fold of one batch's records for one asset (what the live_state upsert gets)."""

    __slots__ = ("heading", "lat", "lon", "pos_ts", "source", "speed", "state", "state_ts", "ts", "values")

    def __init__(self, ts: dt.datetime) -> None:
        self.ts = ts
        self.state: str | None = None
        self.state_ts: dt.datetime | None = None
        self.values: dict[str, Any] = {}
        self.lon = self.lat = self.speed = self.heading = None
        self.pos_ts: dt.datetime | None = None
        self.source: str | None = None


def _array(values: Iterable[Any]) -> str:
    """A PostgreSQL array literal of numbers (``NULL`` for None)."""
    return "{" + ",".join("NULL" if v is None else repr(v) for v in values) + "}"


def _int_array(values: Iterable[int]) -> str:
    return "{" + ",".join(map(str, values)) + "}"


def _ts_array(values: Iterable[dt.datetime | None]) -> str:
    """Timestamps (ISO 8601 with offset: nothing to quote in an array literal)."""
    return "{" + ",".join("NULL" if v is None else v.isoformat() for v in values) + "}"


def _text_array(values: Iterable[str | None]) -> str:
    return "{" + ",".join("NULL" if v is None else _quote(v) for v in values) + "}"


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _lambert93(lons: list[float | None], lats: list[float | None]) -> tuple[list, list]:
    """WGS84 lon/lat to Lambert-93 x/y (None stays None), vectorised through PROJ."""
    pairs = [(i, lon, lat) for i, (lon, lat) in enumerate(zip(lons, lats, strict=True)) if lon is not None]
    xs: list[float | None] = [None] * len(lons)
    ys: list[float | None] = [None] * len(lons)
    if pairs:
        tx, ty = to_storage(f"EPSG:{WGS84_SRID}").transform([p[1] for p in pairs], [p[2] for p in pairs])
        for (i, _lon, _lat), x, y in zip(pairs, tx, ty, strict=True):
            xs[i], ys[i] = round(float(x), 3), round(float(y), 3)
    return xs, ys


def _text_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _snapshot(values: dict[str, Any]) -> str:
    """The live snapshot of values as JSON (jsonb has no NaN or infinity: those are kept as text)."""
    try:
        return _dumps(values)
    except (ValueError, TypeError):
        return _dumps({k: str(v) if isinstance(v, float) and not math.isfinite(v) else v for k, v in values.items()})


class LiveWriter:
    """Writes batches of records on its own database connection (reconnects after a failure).

    ``client`` names the writer in ``ingest_counts`` (one row per client and day: no contention).
    Not thread-safe: one writer per thread.
    """

    def __init__(self, database_url: str, client: str = "ingest") -> None:
        self.url = libpq_url(database_url)
        self.client = client
        self._conn: psycopg.Connection | None = None
        self._metrics: dict[str, int] = {}

    # -- connection ---------------------------------------------------------------------------------
    def connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = psycopg.connect(self.url, autocommit=True, options="-c timezone=UTC")
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> LiveWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- metrics ------------------------------------------------------------------------------------
    def metric_ids(self, names: Iterable[str]) -> dict[str, int]:
        """The ids of metric names, creating the new ones (in their own short transaction)."""
        missing = [n for n in names if n not in self._metrics]
        if missing:
            conn = self.connection()
            with conn.transaction():
                conn.execute(
                    "INSERT INTO live_metrics (name) SELECT unnest(%s::text[]) ON CONFLICT (name) DO NOTHING",
                    (missing,),
                )
                rows = conn.execute("SELECT name, id FROM live_metrics WHERE name = ANY(%s)", (missing,))
                self._metrics.update(rows.fetchall())
        return self._metrics

    # -- the batch ----------------------------------------------------------------------------------
    def write(self, records: Iterable[Record]) -> WriteResult:
        """Store a batch in one transaction and commit; raises (and stores nothing) on any error."""
        result = WriteResult()
        dead: list[DeadLetter] = []
        marks: list[Unreachable] = []
        intervals: dict[int, int] = {}
        kept: list[Reading | Event | Position] = []
        seen: set[tuple] = set()
        keys: dict[tuple[int, dt.datetime], None] = {}
        unkeyed = 0
        names: set[str] = set()
        for r in records:
            cls = type(r)
            if cls is DeadLetter:
                dead.append(r)  # type: ignore[arg-type]
                continue
            if cls is Unreachable:
                marks.append(r)  # type: ignore[arg-type]
                continue
            key = r.key  # type: ignore[union-attr]
            if key is None:
                unkeyed += 1
            else:
                ident = (cls, key, r.ts, r.name if cls is Event else None)  # type: ignore[union-attr]
                if ident in seen:
                    result.duplicates += 1
                    continue
                seen.add(ident)
                keys[(key, r.ts)] = None  # type: ignore[union-attr]
            if cls is Reading:
                names.update(r.values)  # type: ignore[union-attr]
                if r.interval_s is not None:  # type: ignore[union-attr]
                    intervals[r.asset_id] = r.interval_s  # type: ignore[union-attr]
            kept.append(r)  # type: ignore[arg-type]
        metric_ids = self.metric_ids(names) if names else self._metrics

        conn = self.connection()
        with conn.transaction(), conn.cursor() as cur:
            if keys:
                cur.execute(
                    _KEYS_SQL,
                    {"keys": _int_array(k for k, _ in keys), "ts": _ts_array(t for _, t in keys),
                     "client": self.client, "unkeyed": unkeyed},
                )
                new = set(cur.fetchall())
                if len(new) < len(keys):
                    before = len(kept)
                    kept = [r for r in kept if r.key is None or (r.key, r.ts) in new]
                    result.duplicates += before - len(kept)
                result.stored = len(new) + unkeyed
            elif unkeyed:
                cur.execute(_COUNT_SQL, (self.client, unkeyed))
                result.stored = unkeyed
            if kept:
                self._write_records(cur, kept, metric_ids, result)
            write_intervals(cur, intervals)
            write_unreachable(cur, marks)
            result.unreachable = len(marks)
            if dead:
                cur.execute(
                    _DEAD_SQL,
                    (
                        [d.received_at for d in dead], [d.connector for d in dead], [d.topic for d in dead],
                        [d.format for d in dead], [d.reason for d in dead], [bytes(d.payload) for d in dead],
                    ),
                )
                result.dead_letters = len(dead)
        return result

    def _write_records(
        self, cur: psycopg.Cursor, kept: list, metric_ids: dict[str, int], result: WriteResult
    ) -> None:
        lines: list[str] = []
        positions: list[Position] = []
        events: list[Event] = []
        live: dict[int, _Live] = {}
        for r in kept:
            cls = type(r)
            ts = r.ts
            entry = live.get(r.asset_id)
            if entry is None:
                entry = live[r.asset_id] = _Live(ts)
            newer = ts >= entry.ts
            if newer:
                entry.ts = ts
                entry.source = r.source
            if cls is Reading:
                prefix = f"{r.asset_id}\t{ts.isoformat()}\t"
                for name, value in r.values.items():
                    lines.append(prefix + _copy_value(metric_ids[name], value))
                if newer:
                    entry.values.update(r.values)
                else:
                    for name, value in r.values.items():
                        entry.values.setdefault(name, value)
                if r.state is not None and (entry.state_ts is None or ts >= entry.state_ts):
                    entry.state, entry.state_ts = r.state, ts
            elif cls is Position:
                positions.append(r)
                if entry.pos_ts is None or ts >= entry.pos_ts:
                    entry.pos_ts = ts
                    entry.lon, entry.lat, entry.speed, entry.heading = r.lon, r.lat, r.speed_kmh, r.heading_deg
            else:
                events.append(r)
        if lines:
            with cur.copy("COPY telemetry (asset_id, ts, metric_id, value, text_value) FROM STDIN") as copy:
                copy.write("".join(lines))
            result.telemetry_rows = len(lines)
        if positions:
            xs, ys = _lambert93([p.lon for p in positions], [p.lat for p in positions])
            cur.execute(
                _POSITIONS_SQL,
                (
                    _int_array(p.asset_id for p in positions), _ts_array(p.ts for p in positions), _array(xs),
                    _array(ys), _array(p.speed_kmh for p in positions), _array(p.heading_deg for p in positions),
                    _array(p.altitude_m for p in positions), _array(p.accuracy_m for p in positions),
                    _text_array(p.source for p in positions),
                ),
            )
            result.positions = cur.rowcount
        if events:
            cur.execute(
                _EVENTS_SQL,
                (
                    _int_array(e.asset_id for e in events), _ts_array(e.ts for e in events),
                    _text_array(e.name for e in events), _text_array(_dumps(e.detail) for e in events),
                    _text_array(e.source for e in events),
                ),
            )
            result.events = len(events)
        ids = sorted(live)
        rows = [live[i] for i in ids]
        xs, ys = _lambert93([e.lon for e in rows], [e.lat for e in rows])
        cur.execute(
            _LIVE_NOTIFY_SQL,
            (
                _int_array(ids), _text_array(e.state for e in rows), _ts_array(e.state_ts for e in rows),
                _ts_array(e.ts for e in rows), _text_array(_snapshot(e.values) for e in rows), _array(xs),
                _array(ys), _array(e.speed for e in rows), _array(e.heading for e in rows),
                _text_array(e.source for e in rows), LIVE_CHANNEL,
            ),
        )
        result.live_rows = len(ids)


def _copy_value(metric_id: int, value: Any) -> str:
    """The ``metric_id, value, text_value`` columns of one COPY line (text format)."""
    if value is None:
        return f"{metric_id}\t\\N\t\\N\n"
    if value is True:
        return f"{metric_id}\t1\t\\N\n"
    if value is False:
        return f"{metric_id}\t0\t\\N\n"
    if isinstance(value, int | float):
        return f"{metric_id}\t{value!r}\t\\N\n"
    return f"{metric_id}\t\\N\t{_text_escape(str(value))}\n"
