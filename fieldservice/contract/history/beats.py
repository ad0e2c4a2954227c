"""The platform's heartbeats over the generated history: every component up every minute, but for a few
restarts each month (web, broker, ingest, database: minutes) and, in one month, a four-hour ingest outage
that takes the IT clause below its target. Rows are marked ``detail = 'demo history…'`` and never replace a
real heartbeat (``ON CONFLICT DO NOTHING``)."""

from __future__ import annotations

import datetime as dt

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from fieldservice.contract.history.light import Clock
from fieldservice.contract.models import COMPONENTS

MARK = "demo history"
#: Per month: the chance of a restart of each component and how long it lasts (minutes).
RESTARTS = {"web": (0.7, 2, 12), "broker": (0.4, 1, 4), "ingest": (0.3, 5, 30), "database": (0.2, 1, 3)}
BIG_OUTAGE_MIN = 240
_MONTH_MIN = 30 * 24 * 60


def write_heartbeats(session: Session, clock: Clock, rng: np.random.Generator) -> tuple[int, int]:
    """COPY the window's heartbeats; (rows written, minutes down)."""
    minutes = clock.hours * 60
    down: dict[str, np.ndarray] = {c: np.zeros(minutes, dtype=bool) for c in COMPONENTS}
    why = {"web": "restart", "broker": "restart", "ingest": "no device message stored", "database": "restart"}
    for m0 in range(0, minutes, _MONTH_MIN):
        for component, (chance, low, high) in RESTARTS.items():
            if rng.random() < chance:
                start = m0 + int(rng.integers(0, min(_MONTH_MIN, minutes - m0)))
                down[component][start:start + int(rng.integers(low, high + 1))] = True
    months = max(1, minutes // _MONTH_MIN)
    room = max(1, min(_MONTH_MIN, minutes) - BIG_OUTAGE_MIN)
    big = int(rng.integers(0, months)) * _MONTH_MIN + int(rng.integers(0, room))
    down["ingest"][big:big + BIG_OUTAGE_MIN] = True
    session.execute(text("CREATE TEMPORARY TABLE demo_history_beats (LIKE heartbeats) ON COMMIT DROP"))
    raw = session.connection().connection.driver_connection
    stamps = [(clock.lo + dt.timedelta(minutes=m)).isoformat() for m in range(minutes)]
    with raw.cursor() as cur, cur.copy("COPY demo_history_beats (component, minute, ok, detail) FROM STDIN") as copy:
        for component in COMPONENTS:
            ok_line = f"\tt\t{MARK}\n"
            bad_line = f"\tf\t{MARK}: {why[component]}\n"
            flags = down[component]
            copy.write("".join(f"{component}\t{stamps[m]}{bad_line if flags[m] else ok_line}" for m in range(minutes)))
    written = session.execute(text(
        "INSERT INTO heartbeats SELECT * FROM demo_history_beats ON CONFLICT (component, minute) DO NOTHING")).rowcount
    session.execute(text("DROP TABLE demo_history_beats"))
    return written, int(sum(d.sum() for d in down.values()))


def delete_heartbeats(session: Session, lo: dt.datetime, hi: dt.datetime) -> int:
    return session.execute(text("DELETE FROM heartbeats WHERE detail LIKE :mark AND minute >= :lo AND minute < :hi"),
                           {"mark": MARK + "%", "lo": lo, "hi": hi}).rowcount
