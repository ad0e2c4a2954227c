"""The demo city's invariants: the real scale, the hierarchy, spacing and density, fibre topology,
determinism, idempotence and an all-or-nothing load."""

from __future__ import annotations

from collections import defaultdict

import click
import numpy as np
import pytest
from click.testing import CliRunner
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from sqlalchemy import Engine, text

import assets.demo.loader as loader
from app.cli import build_cli, context, demo_cmd
from assets.db import unit_of_work
from assets.demo import DEFAULT_SEED, communes_from_db, generate_city, load_demo
from assets.demo.density import dijon_centre
from assets.errors import CityPilotError
from assets.store import create_asset
from assets.topology import fibre_cut
from tests.assets.helpers import MINIMAL, near

pytestmark = pytest.mark.slow


def rows(engine: Engine, sql: str, **params) -> list:
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params))


def scalar(engine: Engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def kind_counts(engine: Engine) -> dict[str, int]:
    return dict(rows(engine, "SELECT kind, count(*) FROM assets GROUP BY kind"))


def test_counts_at_the_real_scale(demo_engine: Engine) -> None:
    counts = kind_counts(demo_engine)
    assert abs(counts["luminaire"] - 36_500) <= 365
    assert counts["pole"] < counts["luminaire"]  # some poles carry two light points
    assert 950 <= counts["cabinet"] <= 1050
    assert counts["signal_controller"] == 113
    assert 4 * 113 <= counts["signal_head"] <= 12 * 113
    assert counts["camera"] == 269
    assert counts["vehicle"] == 205
    assert 140 <= counts["sensor"] <= 160
    assert counts["building"] == 180
    assert counts["energy_meter"] == counts["cabinet"] + counts["building"]
    assert scalar(demo_engine, "SELECT count(*) FROM streets") > 1000


def test_every_lamp_reaches_one_cabinet_of_20_to_80_lamps(demo_engine: Engine) -> None:
    chain = rows(
        demo_engine,
        """
        SELECT cab.id, count(*) AS lamps, sum(l.power_w) AS load_w, max(cab.contract_power_kva) AS kva
          FROM assets l
          JOIN assets p ON p.id = l.parent_id AND p.kind = 'pole'
          JOIN assets ci ON ci.id = p.parent_id AND ci.kind = 'circuit'
          JOIN assets cab ON cab.id = ci.parent_id AND cab.kind = 'cabinet'
         WHERE l.kind = 'luminaire'
         GROUP BY cab.id
        """,
    )
    counts = kind_counts(demo_engine)
    assert sum(r.lamps for r in chain) == counts["luminaire"]
    assert len(chain) == counts["cabinet"]
    assert all(20 <= r.lamps <= 80 for r in chain)
    assert all(r.kva * 1000 * 0.9 >= r.load_w for r in chain)  # the subscription carries the load
    circuits = rows(
        demo_engine,
        "SELECT parent_id, count(*) AS n FROM assets WHERE kind = 'circuit' GROUP BY parent_id",
    )
    assert all(1 <= r.n <= 4 for r in circuits)
    assert scalar(
        demo_engine,
        "SELECT count(*) FROM assets c JOIN assets m ON m.id = c.energy_meter_id AND m.kind = 'energy_meter' "
        "WHERE c.kind IN ('cabinet', 'building')",
    ) == counts["cabinet"] + counts["building"]
    endpoints = rows(demo_engine, "SELECT modbus_host, modbus_port, unit_id FROM assets WHERE kind = 'energy_meter'")
    assert len(set(endpoints)) == len(endpoints)


def test_light_points_25_to_40_m_apart_along_their_street(demo_engine: Engine) -> None:
    """Nearest neighbour between the light points (poles) of one street."""
    poles = rows(
        demo_engine,
        "SELECT (attrs->>'street_id')::int AS street, ST_X(geom) AS x, ST_Y(geom) AS y "
        "FROM assets WHERE kind = 'pole'",
    )
    by_street: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for p in poles:
        by_street[p.street].append((p.x, p.y))
    nearest = []
    for xy in by_street.values():
        if len(xy) > 1:
            distances, _ = cKDTree(xy).query(xy, k=2)
            nearest.append(distances[:, 1])
    nn = np.concatenate(nearest)
    assert len(nn) > 0.9 * len(poles)
    assert np.mean((nn >= 25) & (nn <= 40)) >= 0.99
    assert np.percentile(nn, 1) >= 25 and np.percentile(nn, 99) <= 40
    off_street = scalar(
        demo_engine,
        "SELECT max(ST_Distance(p.geom, s.geom)) FROM assets p "
        "JOIN streets s ON s.id = (p.attrs->>'street_id')::int WHERE p.kind = 'pole'",
    )
    assert off_street <= 6.0


def test_denser_in_the_centre(demo_engine: Engine) -> None:
    x, y = dijon_centre()
    inner = scalar(
        demo_engine,
        "SELECT count(*) FROM assets WHERE kind = 'luminaire' "
        "AND ST_DWithin(geom, ST_SetSRID(ST_MakePoint(:x, :y), 2154), 2000)", x=x, y=y,
    )
    outer, outer_km2 = rows(
        demo_engine,
        """
        WITH far AS (
            SELECT ST_Difference(ST_Union(geom), ST_Buffer(ST_SetSRID(ST_MakePoint(:x, :y), 2154), 6000)) AS g
              FROM communes WHERE valid_to IS NULL
        )
        SELECT (SELECT count(*) FROM assets a, far WHERE a.kind = 'luminaire' AND ST_Intersects(a.geom, far.g)),
               (SELECT ST_Area(g) / 1e6 FROM far)
        """,
        x=x, y=y,
    )[0]
    inner_density = inner / (np.pi * 4.0)
    outer_density = outer / outer_km2
    assert inner_density > 400
    assert inner_density > 5 * outer_density


def test_led_share_and_lamp_attributes(demo_engine: Engine) -> None:
    lamps = rows(
        demo_engine,
        "SELECT is_led, power_w, power_w_before, colour_temp_k, dev_eui FROM assets WHERE kind = 'luminaire'",
    )
    led = [lamp for lamp in lamps if lamp.is_led]
    assert 0.92 <= len(led) / len(lamps) <= 0.94
    assert all(20 <= lamp.power_w <= 100 and lamp.power_w < lamp.power_w_before for lamp in led)
    assert all(lamp.colour_temp_k in (2700, 3000, 4000) for lamp in led)
    legacy = [lamp for lamp in lamps if not lamp.is_led]
    assert all(lamp.power_w == lamp.power_w_before and lamp.dev_eui is None for lamp in legacy)
    saved = 1 - sum(lamp.power_w for lamp in lamps) / sum(lamp.power_w_before for lamp in lamps)
    assert saved >= 0.65  # the contract clause, on installed power
    euis = [lamp.dev_eui for lamp in led if lamp.dev_eui]
    assert len(euis) > 0.7 * len(led)
    assert len(set(euis)) == len(euis)
    assert all(len(e) == 16 and int(e, 16) >= 0 for e in euis)


def test_fibre_is_about_140_km(demo_engine: Engine) -> None:
    km = scalar(demo_engine, "SELECT sum(length_m) / 1000 FROM assets WHERE kind = 'fibre_segment'")
    assert 130 <= km <= 150


def test_fibre_is_one_meshed_graph_joining_pops_and_equipment(demo_engine: Engine) -> None:
    nodes = dict(rows(demo_engine, "SELECT id, node_type FROM assets WHERE kind = 'fibre_node'"))
    segments = rows(
        demo_engine, "SELECT id, from_node_id, to_node_id, fibre_count FROM assets WHERE kind = 'fibre_segment'"
    )
    index = {node: i for i, node in enumerate(nodes)}
    a = [index[s.from_node_id] for s in segments]
    b = [index[s.to_node_id] for s in segments]
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(len(nodes), len(nodes)))
    n_components, _ = connected_components(graph, directed=False)
    assert n_components == 1
    assert 3 <= sum(1 for t in nodes.values() if t == "pop") <= 4
    assert len(segments) >= len(nodes)  # a connected graph with at least one cycle
    hanging = rows(
        demo_engine,
        "SELECT a.kind, count(*) AS n, count(n.id) AS on_switch FROM assets a "
        "LEFT JOIN assets n ON n.id = a.fibre_node_id AND n.node_type = 'switch' "
        "WHERE a.kind IN ('signal_controller', 'camera', 'cabinet', 'building') GROUP BY a.kind",
    )
    on_switch = {r.kind: r.on_switch for r in hanging}
    total = {r.kind: r.n for r in hanging}
    assert on_switch["signal_controller"] == total["signal_controller"]
    assert on_switch["camera"] == total["camera"]
    assert 0 < on_switch["cabinet"] < total["cabinet"]
    assert 0 < on_switch["building"] < total["building"]
    # a drop cable is a tree branch (cuts its equipment); some backbone segment lies on a ring
    with unit_of_work(demo_engine, None) as session:
        drop = next(s for s in segments if s.fibre_count == 12)
        assert {a.kind for a in fibre_cut(session, drop.id)} & {"signal_controller", "camera", "cabinet", "building"}
        backbone = [s for s in segments if s.fibre_count == 144]
        assert any(not fibre_cut(session, s.id) for s in backbone[:20])


def test_every_asset_lies_in_a_commune(demo_engine: Engine) -> None:
    assert scalar(
        demo_engine,
        "SELECT count(*) FROM assets WHERE commune_insee IS NULL AND NOT (kind = 'circuit' AND geom IS NULL)",
    ) == 0
    assert scalar(demo_engine, "SELECT count(*) FROM streets WHERE commune_insee IS NULL") == 0
    lit_communes = scalar(
        demo_engine, "SELECT count(DISTINCT commune_insee) FROM assets WHERE kind = 'luminaire'"
    )
    assert lit_communes == scalar(demo_engine, "SELECT count(*) FROM communes WHERE valid_to IS NULL")


def test_every_insert_is_in_the_history_by_system(demo_engine: Engine) -> None:
    history = rows(
        demo_engine, "SELECT actor_name, count(*) AS n FROM asset_history WHERE action = 'insert' GROUP BY 1"
    )
    assert [(h.actor_name, h.n) for h in history] == [("system", sum(kind_counts(demo_engine).values()))]


def test_same_seed_same_city(demo_engine: Engine, demo_city) -> None:
    for kind in ("luminaire", "fibre_segment", "camera", "signal_head"):
        sample = demo_city.assets[kind][::251]
        loaded = {
            r.code: (r.x, r.y)
            for r in rows(
                demo_engine,
                "SELECT code, ST_X(ST_StartPoint(geom)) AS x, ST_Y(ST_StartPoint(geom)) AS y FROM assets "
                "WHERE kind = :kind AND code = ANY(:codes) AND GeometryType(geom) = 'LINESTRING' "
                "UNION ALL SELECT code, ST_X(geom), ST_Y(geom) FROM assets "
                "WHERE kind = :kind AND code = ANY(:codes) AND GeometryType(geom) = 'POINT'",
                kind=kind, codes=[r["code"] for r in sample],
            )
        }
        for record in sample:
            x, y = record["geom"].coords[0]
            assert loaded[record["code"]] == pytest.approx((x, y), abs=0.01)
    with demo_engine.connect() as conn:
        communes = communes_from_db(conn)
    assert generate_city(communes, DEFAULT_SEED).fingerprint() == demo_city.fingerprint()
    assert generate_city(communes, DEFAULT_SEED + 1).fingerprint() != demo_city.fingerprint()


def test_a_second_load_does_nothing(demo_engine: Engine) -> None:
    before = kind_counts(demo_engine), scalar(demo_engine, "SELECT count(*) FROM asset_history")
    result = load_demo(demo_engine)
    assert not result.loaded
    assert "already loaded" in result.message
    assert (kind_counts(demo_engine), scalar(demo_engine, "SELECT count(*) FROM asset_history")) == before


def test_a_failed_load_leaves_nothing(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    real = loader.bulk_insert

    def failing(session, kind, records, **kw):
        if kind == "cabinet":
            raise RuntimeError("disk full")
        return real(session, kind, records, **kw)

    monkeypatch.setattr(loader, "bulk_insert", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        load_demo(engine)
    assert scalar(engine, "SELECT count(*) FROM assets") == 0
    assert scalar(engine, "SELECT count(*) FROM streets") == 0
    assert scalar(engine, "SELECT count(*) FROM asset_history") == 0


def test_refuses_an_inventory_with_other_assets(engine: Engine, planner_id: int) -> None:
    with unit_of_work(engine, planner_id) as session:
        create_asset(session, "cabinet", {"code": "MY-CAB", "geom": near(), **MINIMAL["cabinet"]})
    with pytest.raises(CityPilotError, match="empty inventory"):
        load_demo(engine)
    assert scalar(engine, "SELECT count(*) FROM assets") == 1


@pytest.fixture
def cli_database(monkeypatch: pytest.MonkeyPatch):
    """Point the CLI at a database URL (and forget the cached engine afterwards)."""

    def use(url: str) -> click.Group:
        monkeypatch.setenv("DATABASE_URL", url)
        context.engine.cache_clear()
        group = build_cli(demo_cmd)
        return group

    yield use
    if context.engine.cache_info().currsize:
        context.engine().dispose()
    context.engine.cache_clear()


def test_cli_load_twice_and_declined_reset(demo_db_url: str, demo_engine: Engine, cli_database) -> None:
    cli = cli_database(demo_db_url)
    result = CliRunner().invoke(cli, ["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "already loaded" in result.output
    before = kind_counts(demo_engine)
    result = CliRunner().invoke(cli, ["demo", "load", "--reset"], input="n\n")
    assert result.exit_code != 0
    assert kind_counts(demo_engine) == before
