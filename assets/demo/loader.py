"""Load the demo city into the inventory: one transaction, through the one write path.

Streets are reference data and go in with a plain COPY; every asset goes through
:func:`assets.store.bulk_insert` (validation, COPY, the audit and commune triggers), kind by kind in
dependency order, with ids reserved up front so records can name their parents.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import shapely
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from assets.db.session import set_actor, unit_of_work
from assets.demo.city import DEFAULT_SEED, KIND_ORDER, DemoCity, communes_from_db, generate_city
from assets.demo.spatial import Ref
from assets.errors import CityPilotError
from assets.store import allocate_ids, bulk_insert
from assets.users import SYSTEM_USER, active_user
from gis.crs import STORAGE_SRID

MARKER_CODE = "LUM-000001"  # the first demo light point: its presence means the demo is loaded
REF_FIELDS = ("parent_id", "energy_meter_id", "fibre_node_id", "from_node_id", "to_node_id")

Progress = Callable[[str, int, float], None]  # step name, rows, seconds


@dataclass
class LoadResult:
    """What ``load_demo`` did: ``loaded`` is False when the demo was already there."""

    loaded: bool
    message: str
    counts: dict[str, int] = field(default_factory=dict)
    generate_seconds: float = 0.0
    insert_seconds: float = 0.0


def demo_present(session: Session) -> bool:
    """Whether the demo city (or any street layer) is already in the database."""
    marker = session.execute(
        text("SELECT 1 FROM assets WHERE kind = 'luminaire' AND code = :code"), {"code": MARKER_CODE}
    ).first()
    streets = session.execute(text("SELECT 1 FROM streets LIMIT 1")).first()
    return marker is not None or streets is not None


def reset_inventory(session: Session) -> None:
    """Empty the inventory, its history, the streets, and the live data of the assets."""
    session.execute(
        text(
            "TRUNCATE assets, asset_history, streets, telemetry, vehicle_positions, ingest_keys, ingest_counts, "
            "device_events, dead_letters RESTART IDENTITY CASCADE"
        )
    )


def load_demo(
    engine: Engine,
    *,
    seed: int = DEFAULT_SEED,
    reset: bool = False,
    actor_id: int | None = None,
    progress: Progress | None = None,
) -> LoadResult:
    """Generate and load the demo city in one transaction (nothing is left half-loaded on error).

    Does nothing when the demo is already loaded, unless ``reset`` (which first empties the
    inventory). Refuses an inventory holding other assets unless ``reset``.
    """
    report = progress or (lambda step, count, seconds: None)
    with unit_of_work(engine, actor_id) as session:
        if actor_id is None:
            set_actor(session, active_user(session, SYSTEM_USER).id)
        if reset:
            reset_inventory(session)
            report("reset", 0, 0.0)
        elif demo_present(session):
            return LoadResult(False, "the demo city is already loaded (use --reset to reload it)")
        else:
            others = session.execute(text("SELECT count(*) FROM assets")).scalar_one()
            if others:
                raise CityPilotError(
                    f"the inventory already holds {others} assets: the demo city loads into an empty "
                    "inventory (--reset empties it first)"
                )
        started = time.perf_counter()
        city = generate_city(communes_from_db(session.connection()), seed)
        generated = time.perf_counter() - started
        report("generate", sum(city.counts().values()), generated)
        insert_city(session, city, report)
        inserted = time.perf_counter() - started - generated
    with engine.begin() as conn:  # fresh statistics, or the first queries plan for an empty table
        conn.execute(text("ANALYZE assets, streets, asset_history"))
    counts = {"street": len(city.streets.names), **city.counts()}
    total = sum(city.counts().values())
    return LoadResult(True, f"loaded {total} assets and {counts['street']} streets", counts, generated, inserted)


def insert_city(session: Session, city: DemoCity, report: Progress) -> dict[str, list[int]]:
    """Insert the streets and every asset of ``city``; the ids given to each kind."""
    t = time.perf_counter()
    n = insert_streets(session, city)
    report("street", n, time.perf_counter() - t)
    counts = city.counts()
    reserved = sorted(allocate_ids(session, sum(counts.values())))
    ids: dict[str, list[int]] = {}
    start = 0
    for kind in KIND_ORDER:
        ids[kind] = reserved[start:start + counts[kind]]
        start += counts[kind]
    for kind in KIND_ORDER:
        t = time.perf_counter()
        records = [resolve_refs(record, ids, own) for record, own in zip(city.assets[kind], ids[kind], strict=True)]
        bulk_insert(session, kind, records)
        report(kind, len(records), time.perf_counter() - t)
    return ids


def resolve_refs(record: dict, ids: dict[str, list[int]], own: int) -> dict:
    """A copy of ``record`` with its id and every :class:`Ref` replaced by the referenced id."""
    out = {**record, "id": own}
    for name in REF_FIELDS:
        value = record.get(name)
        if isinstance(value, Ref):
            out[name] = ids[value.kind][value.index]
    return out


def insert_streets(session: Session, city: DemoCity) -> int:
    """COPY the street layer (ids 1..N, the ``street_id`` the poles carry), then move its sequence on."""
    net = city.streets
    hexes = shapely.to_wkb(shapely.set_srid(net.geoms, STORAGE_SRID), hex=True, include_srid=True)
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cur:
        with cur.copy("COPY streets (id, name, street_class, commune_insee, geom) FROM STDIN") as copy:
            for i, (name, cls, insee, geom) in enumerate(zip(net.names, net.classes, net.insee, hexes, strict=True)):
                copy.write_row((i + 1, name, cls, insee, geom))
        cur.execute("SELECT setval(pg_get_serial_sequence('streets', 'id'), (SELECT max(id) FROM streets))")
    return int(np.size(net.geoms))
