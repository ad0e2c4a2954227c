"""Vector tiles over HTTP, decoded: features and their attributes on the demo city, live state,
clusters at low zooms, invalidation after a move (cache on), roles, errors and HTTP caching."""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import mapbox_vector_tile
import pytest
from flask import Flask
from sqlalchemy import Engine, text

from app.web import close_app, create_app
from app.web.tiles import EXTENSION, MVT_TYPE, init_app
from assets.db import make_engine, unit_of_work
from assets.kinds import all_kinds, spec_for
from assets.store import create_asset, get_asset, retire_asset, update_asset
from assets.tiles import LAYERS, PUBLIC_LAYERS, TileService, tile_query
from gis.tiles import Tile, lonlat_bounds, lonlat_to_mercator, tile_bounds, tile_for_lonlat, tiles_covering
from tests.assets.helpers import DARCY, MINIMAL, l93, near
from tests.plugins.database import create_database
from tests.web.helpers import ContractClient, People, make_people

LIGHTING_KINDS = {"cabinet", "circuit", "pole", "luminaire"}
FEATURE_KEYS = {"kind", "code", "status", "live"}
STATE_KEYS = {"ok", "fault", "unreachable", "unknown"}
ELSEWHERE = (5.0700, 47.3400)  # ~3 km north-east of place Darcy


def decode(data: bytes, layer: str) -> list[dict]:
    """The features of ``layer`` in an MVT (y down, as tiles count)."""
    tile = mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})
    return tile[layer]["features"] if layer in tile else []


def get_tile(client, person, layer: str, tile: Tile, **headers: str):
    return client.get(f"/tiles/{layer}/{tile.z}/{tile.x}/{tile.y}.mvt", headers={**person.auth, **headers})


def features_of(client, person, layer: str, tile: Tile) -> list[dict]:
    response = get_tile(client, person, layer, tile)
    if response.status_code == 204:
        return []
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == MVT_TYPE
    return decode(response.data, layer)


def tiles_settings(app: Flask, **changes) -> TileService:
    """Swap the app's tile service for one with other settings (same engine)."""
    old: TileService = app.extensions[EXTENSION]
    app.extensions[EXTENSION] = TileService(old.engine, replace(old.settings, **changes))
    return app.extensions[EXTENSION]


def set_live(engine: Engine, asset_id: int, state: str) -> None:
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO live_state (asset_id, state, state_ts, state_since, ts) VALUES (:id, :s, now(), now(), now()) "
            "ON CONFLICT (asset_id) DO UPDATE SET state = excluded.state, state_since = now(), ts = now()"
        ), {"id": asset_id, "s": state})


@pytest.fixture
def tiles_app(app: Flask) -> Flask:
    init_app(app)  # a no-op once create_app mounts the tiles itself
    return app


# -- the demo city ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_copy(pg_admin_url: str, demo_db_url: str, demo_engine: Engine) -> str:
    """A copy of the demo city this module may change (live states, users)."""
    demo_engine.dispose()  # CREATE DATABASE ... TEMPLATE needs the demo database idle
    return create_database(pg_admin_url, "cp_tiles_demo", template="cp_demo")


@pytest.fixture(scope="module")
def demo_app(demo_copy: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, People, Engine]]:
    home: Path = tmp_path_factory.mktemp("tiles-home")
    app = create_app({"DATABASE_URL": demo_copy, "CITYPILOT_HOME": home, "TESTING": True, "SECRET_KEY": "k"})
    init_app(app)
    engine = make_engine(demo_copy)
    with unit_of_work(engine, None) as session:
        people = make_people(session)
    yield app, people, engine
    engine.dispose()
    close_app(app)


def _nearest_lamps(engine: Engine, lonlat: tuple[float, float], n: int) -> list[tuple[int, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT id, code FROM assets WHERE kind = 'luminaire' ORDER BY geom <-> "
            "ST_Transform(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), 2154) LIMIT :n"
        ), {"lon": lonlat[0], "lat": lonlat[1], "n": n})]


def test_central_dijon_features_carry_identity_inventory_status_and_live_state(demo_app) -> None:
    app, people, engine = demo_app
    (faulty, _), (fine, fine_code) = _nearest_lamps(engine, DARCY, 2)
    set_live(engine, faulty, "fault")
    set_live(engine, fine, "ok")
    client = app.test_client()
    for z in (14, 16):
        features = features_of(client, people["operator"], "lighting", tile_for_lonlat(*DARCY, z))
        assert len(features) > (1000 if z == 14 else 50)
        for feature in features:
            assert feature["id"] > 0
            assert set(feature["properties"]) == FEATURE_KEYS
            assert feature["properties"]["kind"] in LIGHTING_KINDS
        by_id = {f["id"]: f["properties"] for f in features}
        assert by_id[faulty]["live"] == "fault"
        assert by_id[fine] == {"kind": "luminaire", "code": fine_code, "status": "in_service", "live": "ok"}
        assert {p["live"] for i, p in by_id.items() if i not in (faulty, fine)} <= {"unknown"}
    kinds14 = {f["properties"]["kind"] for f in features_of(client, people["operator"], "lighting",
                                                              tile_for_lonlat(*DARCY, 14))}
    assert "pole" not in kinds14  # a pole carries its luminaire: drawn from z16
    assert "pole" in {f["properties"]["kind"] for f in features}


def test_feature_codes_and_positions_match_the_inventory(demo_app) -> None:
    app, people, engine = demo_app
    tile = tile_for_lonlat(*DARCY, 16)
    features = features_of(app.test_client(), people["planner"], "lighting", tile)
    west, south, east, north = lonlat_bounds(tile.z, tile.x, tile.y)
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT id, code, ST_X(p), ST_Y(p) FROM (SELECT id, code, ST_Transform(geom, 4326) AS p FROM assets "
            "WHERE kind IN ('luminaire', 'pole', 'cabinet') AND status <> 'removed') AS a "
            "WHERE ST_X(p) BETWEEN :w AND :e AND ST_Y(p) BETWEEN :s AND :n"
        ), {"w": west, "e": east, "s": south, "n": north}).all()
    points = {f["id"]: f for f in features if f["geometry"]["type"] == "Point"}
    assert {r[0] for r in rows} <= set(points)
    xmin, _, xmax, ymax = tile_bounds(tile.z, tile.x, tile.y)
    for asset_id, code, lon, lat in rows:
        feature = points[asset_id]
        assert feature["properties"]["code"] == code
        x, y = lonlat_to_mercator(lon, lat)
        scale = 4096 / (xmax - xmin)
        assert feature["geometry"]["coordinates"] == [round((x - xmin) * scale), round((ymax - y) * scale)]


def test_a_fault_shows_in_the_next_tile_and_cached_tiles_age_out(demo_app) -> None:
    app, people, engine = demo_app
    (lamp, _), = _nearest_lamps(engine, (5.0412, 47.3195), 1)
    tile = tile_for_lonlat(5.0412, 47.3195, 17)
    client = app.test_client()
    service = app.extensions[EXTENSION]
    try:
        tiles_settings(app, cache_ttl_s=0)  # no cache: every tile is as live as the database
        live = lambda: {f["id"]: f["properties"]["live"] for f in features_of(client, people["crew"], "lighting", tile)}  # noqa: E731
        set_live(engine, lamp, "ok")
        assert live()[lamp] == "ok"
        set_live(engine, lamp, "fault")
        assert live()[lamp] == "fault"

        cached = tiles_settings(app, cache_ttl_s=0.3)  # a short cache: live state may lag by its TTL
        assert live()[lamp] == "fault"
        set_live(engine, lamp, "ok")
        assert live()[lamp] == "fault"
        cached.cache.clear()  # (as the TTL running out would)
        assert live()[lamp] == "ok"
    finally:
        app.extensions[EXTENSION] = service


def test_low_zooms_are_light_clusters_counting_live_states(demo_app) -> None:
    app, people, engine = demo_app
    (lamp, _), = _nearest_lamps(engine, DARCY, 1)
    set_live(engine, lamp, "fault")
    app.extensions[EXTENSION].refresh_clusters()
    client = app.test_client()
    with engine.connect() as conn:
        counted = conn.execute(text(
            "SELECT count(*) FROM assets WHERE kind IN ('luminaire', 'cabinet') AND status <> 'removed'")).scalar()
        faults = conn.execute(text(
            "SELECT count(*) FROM live_state JOIN assets ON id = asset_id "
            "WHERE kind IN ('luminaire', 'cabinet') AND state = 'fault'")).scalar()
        extent = conn.execute(text(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
            "(SELECT ST_Extent(ST_Transform(geom, 3857)) AS e FROM communes WHERE valid_to IS NULL) AS t")).one()
    for z in (10, 11, 12):
        total_bytes = 0
        clusters = []
        for tile in tiles_covering(tuple(extent), z):  # the whole city
            response = get_tile(client, people["supervisor"], "lighting", tile, **{"Accept-Encoding": "gzip"})
            if response.status_code == 204:
                continue
            total_bytes += len(response.data)
            clusters += decode(gzip.decompress(response.data), "lighting")
        assert clusters
        for cluster in clusters:
            assert set(cluster["properties"]) == {"count"} | STATE_KEYS
            assert cluster["properties"]["count"] == sum(cluster["properties"][s] for s in STATE_KEYS)
        assert sum(c["properties"]["count"] for c in clusters) == counted
        assert sum(c["properties"]["fault"] for c in clusters) == faults >= 1
        assert total_bytes < 100_000, f"the whole city at z{z} weighs {total_bytes} bytes"
    all_layers = 0
    for layer in LAYERS:
        for tile in tiles_covering(tuple(extent), 10):
            response = get_tile(client, people["admin"], layer, tile, **{"Accept-Encoding": "gzip"})
            all_layers += len(response.data)
    assert all_layers < 100_000


def test_dense_tiles_stay_clusters_until_light_enough(demo_app) -> None:
    app, people, _ = demo_app
    client = app.test_client()
    z13 = features_of(client, people["operator"], "lighting", tile_for_lonlat(*DARCY, 13))
    assert z13 and all("count" in f["properties"] for f in z13)  # ~7,000 lamps: clusters
    tiles_settings(app, max_features=20_000)
    try:
        z13 = features_of(client, people["operator"], "lighting", tile_for_lonlat(*DARCY, 13))
        assert len(z13) > 4000 and all("code" in f["properties"] for f in z13)
    finally:
        tiles_settings(app, max_features=4000)


# -- invalidation -------------------------------------------------------------------------------


@pytest.mark.parametrize("cache_ttl_s", [5.0, 0.0], ids=["cache-on", "cache-off"])
def test_moving_a_lamp_redraws_its_old_and_new_tiles(
    tiles_app: Flask, client: ContractClient, people: People, engine: Engine, cache_ttl_s: float
) -> None:
    assert tiles_settings(tiles_app, cache_ttl_s=cache_ttl_s).caching == (cache_ttl_s > 0)
    with unit_of_work(engine, people["planner"].id) as s:
        lamp = create_asset(s, "luminaire", {"code": "PL-1", "geom": near(), **MINIMAL["luminaire"]}).id
        other = create_asset(s, "luminaire", {"code": "PL-2", "geom": l93(*ELSEWHERE), **MINIMAL["luminaire"]}).id
    old_tile, new_tile = tile_for_lonlat(*DARCY, 16), tile_for_lonlat(*ELSEWHERE, 16)
    ids = lambda tile: {f["id"] for f in features_of(client, people["operator"], "lighting", tile)}  # noqa: E731
    counts = lambda tile: sorted(  # noqa: E731
        f["properties"]["count"] for f in features_of(client, people["operator"], "lighting", tile))
    assert ids(old_tile) == {lamp} and ids(new_tile) == {other}
    z12_old, z12_new = tile_for_lonlat(*DARCY, 12), tile_for_lonlat(*ELSEWHERE, 12)
    assert z12_old != z12_new and counts(z12_old) == [1] and counts(z12_new) == [1]
    assert ids(old_tile) == {lamp}  # served from the cache now, when it is on

    with unit_of_work(engine, people["planner"].id) as s:
        version = get_asset(s, lamp).version
        update_asset(s, lamp, {"geom": l93(ELSEWHERE[0] + 0.0001, ELSEWHERE[1])}, version)

    assert ids(old_tile) == set()  # 204: the lamp left
    assert ids(new_tile) == {lamp, other}
    assert counts(z12_old) == [] and counts(z12_new) == [2]

    with unit_of_work(engine, people["planner"].id) as s:
        update_asset(s, lamp, {"status": "out_of_service"}, get_asset(s, lamp).version)
    moved = {f["id"]: f["properties"] for f in features_of(client, people["operator"], "lighting", new_tile)}
    assert moved[lamp]["status"] == "out_of_service"

    with unit_of_work(engine, people["planner"].id) as s:
        retire_asset(s, lamp)
    assert ids(new_tile) == {other}  # removed assets are not drawn
    assert counts(z12_new) == [1]


def test_vehicles_are_never_in_tiles(tiles_app: Flask, people: People, engine: Engine) -> None:
    with unit_of_work(engine, people["planner"].id) as s:
        create_asset(s, "vehicle", {"code": "V-1", "geom": near(), **MINIMAL["vehicle"]})
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM tile_features")).scalar() == 0
        layers = dict(conn.execute(text("SELECT kind, layer FROM tile_kinds")).all())
    assert layers == {kind: spec_for(kind).family for kind in all_kinds() if kind != "vehicle"}
    for name, spec in LAYERS.items():
        assert set(spec.kinds) == {kind for kind, layer in layers.items() if layer == name}
        assert set(spec.cluster_kinds) <= set(spec.kinds)


# -- roles, errors, HTTP ------------------------------------------------------------------------


@pytest.fixture
def lamp_and_camera(engine: Engine, people: People) -> dict[str, int]:
    with unit_of_work(engine, people["planner"].id) as s:
        lamp = create_asset(s, "luminaire", {"code": "PL-1", "geom": near(), **MINIMAL["luminaire"]}).id
        camera = create_asset(s, "camera", {"code": "CAM-1", "geom": near(20), **MINIMAL["camera"]}).id
    set_live(engine, lamp, "fault")
    return {"lamp": lamp, "camera": camera}


def test_roles(tiles_app: Flask, client: ContractClient, people: People, lamp_and_camera: dict[str, int]) -> None:
    tile = tile_for_lonlat(*DARCY, 16)
    for path in (f"/tiles/lighting/{tile.z}/{tile.x}/{tile.y}.mvt", "/tiles/layers.json", "/tiles/nosuch/1/0/0.mvt"):
        response = client.get(path)
        assert response.status_code == 401 and response.is_json, path
    for role in ("admin", "planner", "supervisor", "operator", "crew"):
        for layer in LAYERS:
            response = get_tile(client, people[role], layer, tile)
            assert response.status_code in (200, 204), (role, layer)
        described = client.get("/tiles/layers.json", headers=people[role].auth).get_json()
        assert [layer["id"] for layer in described["vector_layers"]] == list(LAYERS)
    staff_view = features_of(client, people["crew"], "lighting", tile)
    assert staff_view[0]["properties"]["live"] == "fault"

    public = people["public"]
    for layer in LAYERS:
        response = get_tile(client, public, layer, tile)
        assert response.status_code == (200 if layer == "lighting" else 204 if layer in PUBLIC_LAYERS else 403), layer
    video = get_tile(client, public, "video", tile)
    assert video.is_json and video.get_json()["error"] == "forbidden"
    lamp = features_of(client, public, "lighting", tile)
    assert lamp[0]["id"] == lamp_and_camera["lamp"]
    assert set(lamp[0]["properties"]) == {"kind", "code", "status"}  # no live state for the public
    clusters = features_of(client, public, "lighting", tile_for_lonlat(*DARCY, 10))
    assert [c["properties"] for c in clusters] == [{"count": 1}]
    described = client.get("/tiles/layers.json", headers=public.auth).get_json()
    assert [layer["id"] for layer in described["vector_layers"]] == list(PUBLIC_LAYERS)
    assert all("live" not in layer["fields"] and not layer["live"] for layer in described["vector_layers"])


def test_errors(tiles_app: Flask, client: ContractClient, people: People) -> None:
    auth = people["operator"].auth
    unknown = client.get("/tiles/vehicles/14/8421/5741.mvt", headers=auth)
    assert unknown.status_code == 404 and "vehicles" in unknown.get_json()["message"]
    for path, field in [("/tiles/lighting/23/0/0.mvt", "z"), ("/tiles/lighting/-1/0/0.mvt", "z"),
                        ("/tiles/lighting/3/8/0.mvt", "x"), ("/tiles/video/3/0/9.mvt", "y"),
                        ("/tiles/lighting/14/abc/0.mvt", "x"), ("/tiles/lighting/14/1/2.5.mvt", "y")]:
        response = client.get(path, headers=auth)
        assert response.status_code == 400 and response.is_json, path
        body = response.get_json()
        assert body["error"] == "bad_request" and body["message"].startswith(f"{field}: ")
        assert body["fields"][0]["field"] == field


def test_http_caching_and_compression(
    tiles_app: Flask, client: ContractClient, people: People, lamp_and_camera: dict[str, int]
) -> None:
    tile = tile_for_lonlat(*DARCY, 16)
    plain = get_tile(client, people["operator"], "lighting", tile)
    assert plain.status_code == 200 and plain.mimetype == MVT_TYPE
    assert "Content-Encoding" not in plain.headers
    assert plain.headers["Cache-Control"] == "private, max-age=5"
    assert "Authorization" in plain.headers["Vary"]
    zipped = get_tile(client, people["operator"], "lighting", tile, **{"Accept-Encoding": "gzip, deflate"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == plain.data
    assert zipped.headers["ETag"] != plain.headers["ETag"]
    again = get_tile(client, people["operator"], "lighting", tile, **{"If-None-Match": plain.headers["ETag"]})
    assert again.status_code == 304 and not again.data
    empty = get_tile(client, people["operator"], "lighting", tile_for_lonlat(-30.0, 40.0, 16))
    assert empty.status_code == 204 and not empty.data


def test_layers_description(tiles_app: Flask, client: ContractClient, people: People) -> None:
    described = client.get("/tiles/layers.json", headers=people["supervisor"].auth).get_json()
    assert described["tilejson"] == "3.0.0" and described["format"] == "pbf"
    west, south, east, north = described["bounds"]
    assert west < DARCY[0] < east and south < DARCY[1] < north
    lighting = described["vector_layers"][0]
    assert lighting["id"] == "lighting"
    assert lighting["tiles"] == ["http://localhost/tiles/lighting/{z}/{x}/{y}.mvt"]
    assert set(lighting["fields"]) == {"id"} | FEATURE_KEYS
    assert set(lighting["cluster_fields"]) == {"count"} | STATE_KEYS
    assert lighting["kinds"]["pole"] == 16 and lighting["detail_minzoom"] == 13


def test_one_statement_per_tile_by_zoom() -> None:
    assert tile_query("lighting", 12, 2105, 1435).mode == "clusters"
    assert tile_query("lighting", 14, 8421, 5741).mode == "adaptive"
    assert tile_query("lighting", 16, 33685, 22964).mode == "features"
    assert "live_state" in tile_query("lighting", 16, 33685, 22964).sql
    assert "live_state" not in tile_query("lighting", 16, 33685, 22964, live=False).sql
    assert "'pole'" not in tile_query("lighting", 16, 33685, 22964).sql  # every kind: no kind filter
    assert "'pole'" not in tile_query("lighting", 15, 16842, 11482).sql.split("UNION ALL")[0].split("IN (")[1]
    assert tile_query("lighting", 16, 33685, 22964).sql.count(";") == 0


# -- keeping clusters and the change feed right -------------------------------------------------


def test_old_clusters_are_rebuilt_in_the_background(tiles_app: Flask, people: People, engine: Engine) -> None:
    with unit_of_work(engine, people["planner"].id) as s:
        lamp = create_asset(s, "luminaire", {"code": "PL-1", "geom": near(), **MINIMAL["luminaire"]}).id
    service = tiles_settings(tiles_app, aggregate_max_age_s=0.0, cache_ttl_s=0)
    z10 = tile_for_lonlat(*DARCY, 10)

    def states() -> dict:
        data = service.tile("lighting", z10.z, z10.x, z10.y).data
        return decode(data, "lighting")[0]["properties"]

    assert states()["unknown"] == 1  # the first build is waited for
    set_live(engine, lamp, "fault")  # live state changes reach clusters by rebuilds only
    deadline = time.monotonic() + 10
    while states()["fault"] != 1:  # each request finds the clusters too old and starts a rebuild
        assert time.monotonic() < deadline, "clusters were not rebuilt"
        time.sleep(0.05)
    assert states() == {"count": 1, "ok": 0, "fault": 1, "unreachable": 0, "unknown": 0}


def test_a_change_committed_after_a_later_one_is_not_missed(tiles_app: Flask, people: People, engine: Engine) -> None:
    service: TileService = tiles_app.extensions[EXTENSION]
    with unit_of_work(engine, people["planner"].id) as s:
        first = create_asset(s, "luminaire", {"code": "PL-1", "geom": near(), **MINIMAL["luminaire"]}).id
        second = create_asset(s, "luminaire", {"code": "PL-2", "geom": l93(*ELSEWHERE), **MINIMAL["luminaire"]}).id
    here, there = tile_for_lonlat(*DARCY, 16), tile_for_lonlat(*ELSEWHERE, 16)
    ids = lambda t: {f["id"] for f in decode(service.tile("lighting", t.z, t.x, t.y).data, "lighting")}  # noqa: E731
    assert ids(here) == {first} and ids(there) == {second}  # both cached

    slow = engine.connect()  # a longer transaction takes its history id first, commits last
    slow_tx = slow.begin()
    slow.execute(text("UPDATE assets SET code = 'PL-1b' WHERE id = :id"), {"id": first})
    with unit_of_work(engine, people["planner"].id) as s:
        update_asset(s, second, {"code": "PL-2b"}, get_asset(s, second).version)
    codes = lambda t: {f["properties"]["code"] for f in decode(service.tile("lighting", t.z, t.x, t.y).data,  # noqa: E731
                                                                "lighting")}
    assert codes(there) == {"PL-2b"} and codes(here) == {"PL-1"}
    assert service._feed is not None and service._feed.gaps  # the slow one's id is awaited
    slow_tx.commit()
    slow.close()
    assert codes(here) == {"PL-1b"}  # dropped from the cache although its id is below the newest seen


def test_the_fast_path_answers_as_flask_does_with_the_same_roles(demo_app) -> None:
    """Tile GETs from a caller the guard already knows skip Flask: same bytes, headers and refusals."""
    app, people, _engine = demo_app
    tile = tile_for_lonlat(*DARCY, 14)
    url = f"/tiles/lighting/{tile.z}/{tile.x}/{tile.y}.mvt"
    client = app.test_client()
    calls: list[str] = []
    inner = app.wsgi_app.inner  # what the fast path falls back to: Flask

    def counting(environ, start_response):
        calls.append(environ["PATH_INFO"])
        return inner(environ, start_response)

    app.wsgi_app.inner = counting
    app.extensions["citypilot_identities"].clear()  # an earlier test's requests may be cached (5 s)
    try:
        operator = {**people["operator"].auth, "Accept-Encoding": "gzip"}
        first = client.get(url, headers=operator)  # unknown yet: Flask answers and caches the identity
        second = client.get(url, headers=operator)  # known: the fast path answers
        assert calls == [url]
        assert (first.status_code, second.status_code) == (200, 200)
        assert first.data == second.data and gzip.decompress(second.data)
        for header in ("ETag", "Cache-Control", "Content-Encoding", "Content-Type", "X-Content-Type-Options"):
            assert first.headers[header] == second.headers[header], header
        assert second.headers["Vary"] == "Authorization, Cookie, Accept-Encoding"  # (Flask adds Accept-Language)
        again = client.get(url, headers={**operator, "If-None-Match": second.headers["ETag"]})
        assert again.status_code == 304 and calls == [url]
        public = people["public"].auth
        client.get("/api/v1/me", headers=public)  # the public is known now
        video = f"/tiles/video/{tile.z}/{tile.x}/{tile.y}.mvt"
        refused = client.get(video, headers=public)
        assert refused.status_code == 403 and calls[-1] == video  # a refusal is Flask's, as always
        bad = client.get("/tiles/lighting/30/0/0.mvt", headers=operator)
        assert bad.status_code == 400 and calls[-1] == "/tiles/lighting/30/0/0.mvt"
        anonymous = client.get(url)
        assert anonymous.status_code == 401 and calls[-1] == url
    finally:
        app.wsgi_app.inner = inner
