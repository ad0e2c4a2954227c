"""OGC API – Features at /ogc: the landing page, conformance, collections, items with paging, bbox,
CRS (Part 2), datetime, property filters and properties=, single features, HTML, errors — and the
open-data policy: no personal, sensitive or device-secret field leaves through it."""

from __future__ import annotations

import json

import pytest
from pyproj import Transformer
from sqlalchemy import text

from assets.db import unit_of_work
from assets.store import create_asset
from tests.assets.helpers import MINIMAL, near

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
L93 = "http://www.opengis.net/def/crs/EPSG/0/2154"
EPSG4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"


@pytest.fixture
def city(engine, planner_id) -> dict[str, int]:
    """25 lamps 10 m apart along a line east of place Darcy, a camera with its field of view, a van."""
    ids: dict[str, int] = {}
    with unit_of_work(engine, planner_id) as session:
        for k in range(25):
            lamp = create_asset(session, "luminaire", {
                "code": f"L-{k:02d}", "geom": near(10 * k), **MINIMAL["luminaire"],
                "luminaire_type": "lantern" if k % 2 else "street", "dev_eui": f"70B3D5{k:010X}",
                "attrs": {"remark": "Mme Dupont signale"},
            })
            ids[lamp.code] = lamp.id
        ids["camera"] = create_asset(session, "camera", {"code": "C-1", "geom": near(0, 30), **MINIMAL["camera"]}).id
        ids["van"] = create_asset(session, "vehicle", {"code": "V-1", "geom": near(5), **MINIMAL["vehicle"]}).id
    return ids


def _get(client, url: str, status: int = 200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code, response.get_data(as_text=True)[:300])
    return response


def test_landing_conformance_and_collections(client) -> None:
    landing = _get(client, "/ogc").get_json()
    rels = {link["rel"]: link for link in landing["links"]}
    assert {"self", "alternate", "service-desc", "service-doc", "conformance", "data"} <= set(rels)
    assert rels["service-desc"]["type"] == "application/vnd.oai.openapi+json;version=3.0"
    conformance = _get(client, "/ogc/conformance").get_json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in conformance
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conformance
    api = _get(client, "/ogc/api")
    assert api.mimetype == "application/vnd.oai.openapi+json"
    assert "/collections/luminaire/items" in api.get_json()["paths"]
    collections = _get(client, "/ogc/collections").get_json()["collections"]
    ids = [c["id"] for c in collections]
    assert "luminaire" in ids and "vehicle" not in ids and "fibre_segment" not in ids  # staff positions, network
    lamp = next(c for c in collections if c["id"] == "luminaire")
    assert L93 in lamp["crs"] and lamp["storageCrs"] == L93
    assert any(link["rel"] == "items" and link["type"] == "application/geo+json" for link in lamp["links"])
    french = client.get("/ogc/collections/luminaire?lang=fr").get_json()
    assert french["title"] == "luminaire"
    assert _get(client, "/ogc/collections/camera?lang=fr").get_json()["title"] == "caméra de vidéoprotection"


def test_items_page_through_with_next_links(client, city) -> None:
    first = _get(client, "/ogc/collections/luminaire/items?limit=10")
    assert first.mimetype == "application/geo+json" and first.headers["Content-Crs"] == f"<{CRS84}>"
    body = first.get_json()
    assert (body["type"], body["numberMatched"], body["numberReturned"]) == ("FeatureCollection", 25, 10)
    seen = [f["properties"]["code"] for f in body["features"]]
    while (nxt := next((link["href"] for link in body["links"] if link["rel"] == "next"), None)):
        body = _get(client, nxt).get_json()
        seen += [f["properties"]["code"] for f in body["features"]]
    assert seen == [f"L-{k:02d}" for k in range(25)]
    lon, lat = first.get_json()["features"][0]["geometry"]["coordinates"]
    assert 5.0 < lon < 5.1 and 47.3 < lat < 47.4


def test_bbox_crs_filters_and_properties(client, city) -> None:
    darcy = near(0)
    to_wgs = Transformer.from_crs(2154, 4326, always_xy=True)
    lon0, lat0 = to_wgs.transform(darcy.x - 1, darcy.y - 5)
    lon1, lat1 = to_wgs.transform(darcy.x + 45, darcy.y + 5)
    box = _get(client, f"/ogc/collections/luminaire/items?bbox={lon0},{lat0},{lon1},{lat1}").get_json()
    assert [f["properties"]["code"] for f in box["features"]] == ["L-00", "L-01", "L-02", "L-03", "L-04"]
    l93_box = f"{darcy.x - 1},{darcy.y - 1},{darcy.x + 15},{darcy.y + 1}"
    in_l93 = _get(client, f"/ogc/collections/luminaire/items?bbox={l93_box}&bbox-crs={L93}&crs={L93}")
    assert in_l93.headers["Content-Crs"] == f"<{L93}>"
    x, y = in_l93.get_json()["features"][1]["geometry"]["coordinates"]
    assert (x, y) == pytest.approx((darcy.x + 10, darcy.y), abs=0.01)
    lat_lon = _get(client, f"/ogc/collections/luminaire/items?limit=1&crs={EPSG4326}").get_json()
    assert lat_lon["features"][0]["geometry"]["coordinates"][0] > 47  # EPSG:4326 is lat, lon
    lanterns = _get(client, "/ogc/collections/luminaire/items?luminaire_type=LANTERNE&limit=100").get_json()
    assert lanterns["numberMatched"] == 12
    assert all(f["properties"]["luminaire_type"] == "lantern" for f in lanterns["features"])
    slim = _get(client, "/ogc/collections/luminaire/items?properties=code,power_w&limit=1").get_json()
    assert set(slim["features"][0]["properties"]) == {"code", "power_w"}
    recent = _get(client, "/ogc/collections/luminaire/items?datetime=2000-01-01T00:00:00Z/..").get_json()
    assert recent["numberMatched"] == 25
    assert _get(client, "/ogc/collections/luminaire/items?datetime=../2000-01-01").get_json()["numberMatched"] == 0


def test_one_feature_and_html(client, city) -> None:
    lamp = city["L-03"]
    feature = _get(client, f"/ogc/collections/luminaire/items/{lamp}").get_json()
    assert feature["type"] == "Feature" and feature["id"] == lamp and feature["properties"]["code"] == "L-03"
    assert any(link["rel"] == "collection" for link in feature["links"])
    _get(client, f"/ogc/collections/camera/items/{lamp}", 404)  # a lamp is not a camera
    _get(client, f"/ogc/collections/vehicle/items/{city['van']}", 404)
    page = _get(client, "/ogc/collections/luminaire/items?f=html&limit=5")
    assert page.mimetype == "text/html" and "L-04" in page.get_data(as_text=True)
    browser = client.get("/ogc/collections", headers={"Accept": "text/html,application/xhtml+xml"})
    assert browser.mimetype == "text/html" and "luminaire" in browser.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("limit=0", "limit"), ("limit=x", "limit"), ("offset=-1", "offset"), ("bbox=1,2,3", "bbox"),
        ("bbox=5,47,4,48", "bbox"), ("crs=EPSG:9999", "crs"), ("datetime=yesterday", "datetime"),
        ("properties=dev_eui", "dev_eui"), ("wattage=3", "wattage"), ("power_w=lots", "power_w"), ("f=kml", "f"),
    ],
)
def test_bad_parameters_are_400_naming_them(client, query, names) -> None:
    response = _get(client, f"/ogc/collections/luminaire/items?{query}", 400)
    body = response.get_json()
    assert body["code"] == "InvalidParameterValue" and names in body["description"]


def test_unknown_collection_is_404(client) -> None:
    assert _get(client, "/ogc/collections/vehicle", 404).get_json()["code"] == "NotFound"


def test_no_personal_sensitive_or_secret_field_is_published(client, city, engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE assets SET fov = ST_Buffer(geom, 10) WHERE kind = 'camera'"))
    forbidden_fields = {"created_by", "updated_by", "fov", "dev_eui", "tracker_id", "plate", "attrs", "modbus_host"}
    for collection in _get(client, "/ogc/collections").get_json()["collections"]:
        body = _get(client, f"/ogc/collections/{collection['id']}/items?limit=1000").get_data(as_text=True)
        for feature in json.loads(body)["features"]:
            assert not forbidden_fields & set(feature["properties"]), (collection["id"], feature["properties"])
        assert "70B3D5" not in body and "Dupont" not in body and "V-1" not in body


