"""Who may use each route: the expected matrix, written out by hand (not read from the declarations).

Every route of the app must be in this table, and every route must declare its roles: a new route
fails this test until someone decides, here, who may use it. ``yes``: the route answers (whatever
it answers); ``no``: the guard refuses (401 or the login page for anonymous callers, 403 otherwise).

Privacy: the public sees assets (without camera fields of view or authors) and statistics, but no
history (it names people), no live data, no vehicles (staff positions), no stream and no export.
"""

from __future__ import annotations

import pytest
from flask import Flask

from app.web.auth.roles import check_declarations, requires, undeclared_endpoints
from assets.db import unit_of_work
from assets.store import create_asset
from tests.assets.helpers import MINIMAL, near
from tests.web.helpers import ContractClient, People, page_csrf

COLUMNS = ("anonymous", "admin", "planner", "supervisor", "operator", "crew", "public")

MATRIX_TEXT = """
method rule                                        anonymous admin planner supervisor operator crew public
GET    /                                           no        yes   yes     yes        yes      yes  yes
GET    /healthz                                    yes       yes   yes     yes        yes      yes  yes
GET    /login                                      yes       yes   yes     yes        yes      yes  yes
POST   /login                                      yes       yes   yes     yes        yes      yes  yes
POST   /logout                                     yes       yes   yes     yes        yes      yes  yes
GET    /static/<path:filename>                     yes       yes   yes     yes        yes      yes  yes
GET    /api/v1/openapi.json                        yes       yes   yes     yes        yes      yes  yes
GET    /api/v1/me                                  no        yes   yes     yes        yes      yes  yes
GET    /api/v1/kinds                               no        yes   yes     yes        yes      yes  yes
POST   /api/v1/tokens                              yes       yes   yes     yes        yes      yes  yes
GET    /api/v1/stats                               no        yes   yes     yes        yes      yes  yes
GET    /api/v1/quality                             no        yes   yes     yes        yes      yes  no
GET    /api/v1/assets                              no        yes   yes     yes        yes      yes  yes
GET    /api/v1/assets/<int:asset_id>               no        yes   yes     yes        yes      yes  yes
POST   /api/v1/assets                              no        yes   yes     no         no       no   no
PATCH  /api/v1/assets/<int:asset_id>               no        yes   yes     no         no       no   no
POST   /api/v1/assets/<int:asset_id>/retire        no        yes   yes     no         no       no   no
GET    /api/v1/assets/<int:asset_id>/history       no        yes   yes     yes        yes      yes  no
GET    /api/v1/assets/<int:asset_id>/feeds         no        yes   yes     yes        yes      yes  no
GET    /api/v1/places                              no        yes   yes     yes        yes      yes  yes
GET    /api/v1/assets/<int:asset_id>/live          no        yes   yes     yes        yes      yes  no
GET    /api/v1/assets/<int:asset_id>/telemetry     no        yes   yes     yes        yes      yes  no
GET    /api/v1/live                                no        yes   yes     yes        yes      yes  no
GET    /api/v1/vehicles                            no        yes   no      yes        yes      no   no
GET    /api/v1/vehicles/<int:asset_id>/track       no        yes   no      yes        yes      no   no
GET    /api/v1/stream                              no        yes   yes     yes        yes      yes  no
POST   /api/v1/imports                             no        yes   yes     no         no       no   no
GET    /api/v1/imports/<import_id>/rejects         no        yes   yes     no         no       no   no
GET    /api/v1/exports                             no        yes   yes     yes        yes      yes  no
GET    /api/v1/users                               no        yes   no      no         no       no   no
POST   /api/v1/users                               no        yes   no      no         no       no   no
POST   /api/v1/users/<name>/disable                no        yes   no      no         no       no   no
GET    /api/v1/alarms                              no        yes   yes     yes        yes      yes  no
GET    /api/v1/alarms/<int:alarm_id>               no        yes   yes     yes        yes      yes  no
POST   /api/v1/alarms/<int:alarm_id>/acknowledge   no        yes   no      yes        yes      no   no
POST   /api/v1/alarms/<int:alarm_id>/clear         no        yes   no      yes        yes      no   no
GET    /api/v1/commands                            no        yes   yes     yes        yes      no   no
POST   /api/v1/commands                            no        yes   no      yes        yes      no   no
GET    /api/v1/commands/<int:command_id>           no        yes   yes     yes        yes      no   no
POST   /api/v1/commands/<int:command_id>/confirm   no        yes   no      yes        yes      no   no
POST   /api/v1/commands/<int:command_id>/cancel    no        yes   no      yes        yes      no   no
GET    /api/v1/commands/<int:command_id>/log       no        yes   yes     yes        yes      no   no
GET    /api/v1/work-orders                         no        yes   yes     yes        yes      yes  no
GET    /api/v1/work-orders/<int:order_id>          no        yes   yes     yes        yes      yes  no
POST   /api/v1/work-orders                         no        yes   yes     yes        yes      no   no
POST   /api/v1/work-orders/<int:order_id>/transition  no     yes   no      yes        yes      yes  no
POST   /api/v1/alarms/<int:alarm_id>/work-order    no        yes   no      yes        yes      no   no
POST   /api/v1/work-orders/batch-assign            no        yes   no      yes        yes      no   no
GET    /api/v1/work-orders/<int:order_id>/proposals   no     yes   no      yes        yes      no   no
GET    /api/v1/work-orders/<int:order_id>/work        no     yes   yes     yes        yes      yes  no
GET    /api/v1/work-orders/<int:order_id>/proof       no     yes   no      yes        yes      no   no
PUT    /api/v1/work-orders/<int:order_id>/checklist/<key>  no  yes  no   yes        yes      yes  no
POST   /api/v1/work-orders/<int:order_id>/labour      no     yes   no      yes        yes      yes  no
POST   /api/v1/work-orders/<int:order_id>/parts       no     yes   no      yes        yes      yes  no
POST   /api/v1/work-orders/<int:order_id>/notes       no     yes   no      yes        yes      yes  no
POST   /api/v1/work-orders/<int:order_id>/attachments  no    yes   no      yes        yes      yes  no
GET    /api/v1/work-orders/<int:order_id>/attachments/<int:attachment_id>  no  yes  yes  yes  yes  yes  no
GET    /api/v1/crews                               no        yes   yes     yes        yes      yes  no
GET    /api/v1/kpis                                no        yes   yes     yes        yes      no   no
GET    /api/v1/maintenance-plans                   no        yes   yes     yes        yes      no   no
POST   /api/v1/maintenance-plans                   no        yes   yes     yes        no       no   no
GET    /api/v1/maintenance-plans/<int:plan_id>     no        yes   yes     yes        yes      no   no
POST   /api/v1/maintenance-plans/run               no        yes   yes     yes        no       no   no
GET    /api/v1/escalations                         no        yes   yes     yes        yes      no   no
GET    /api/v1/kpis/breakdown                      no        yes   yes     yes        yes      no   no
GET    /api/v1/contract/month                      no        yes   yes     yes        yes      no   no
GET    /tiles/layers.json                          no        yes   yes     yes        yes      yes  yes
GET    /tiles/<layer>/<z>/<x>/<y>.mvt              no        yes   yes     yes        yes      yes  yes
GET    /tiles/<any(lighting, environment, energy):layer>/<z>/<x>/<y>.mvt  no  yes  yes  yes  yes  yes  yes
GET    /tiles/<any(traffic, video, network):layer>/<z>/<x>/<y>.mvt        no  yes  yes  yes  yes  yes  no
GET    /control-room                               no        yes   no      yes        yes      no   no
GET    /api/v1/basemap/<int:z>/<int:x>/<int:y>.mvt no        yes   yes     yes        yes      yes  yes
GET    /crew/                                      no        yes   no      yes        no       yes  no
GET    /crew/sw.js                                 yes       yes   yes     yes        yes      yes  yes
GET    /crew/manifest.webmanifest                  yes       yes   yes     yes        yes      yes  yes
GET    /api/v1/stats/families                      no        yes   yes     yes        yes      yes  no
GET    /ogc                                        yes       yes   yes     yes        yes      yes  yes
GET    /ogc/                                       yes       yes   yes     yes        yes      yes  yes
GET    /ogc/conformance                            yes       yes   yes     yes        yes      yes  yes
GET    /ogc/api                                    yes       yes   yes     yes        yes      yes  yes
GET    /ogc/collections                            yes       yes   yes     yes        yes      yes  yes
GET    /ogc/collections/<collection_id>            yes       yes   yes     yes        yes      yes  yes
GET    /ogc/collections/<collection_id>/items      yes       yes   yes     yes        yes      yes  yes
GET    /ogc/collections/<collection_id>/items/<feature_id>  yes  yes  yes  yes  yes  yes  yes
GET    /open-data                                  yes       yes   yes     yes        yes      yes  yes
GET    /open-data/catalog.jsonld                   yes       yes   yes     yes        yes      yes  yes
GET    /open-data/<collection_id>.csv-metadata.json  yes     yes   yes     yes        yes      yes  yes
GET    /open-data/<collection_id>.<ext>            yes       yes   yes     yes        yes      yes  yes
GET    /open311/v2/services.<fmt>                  yes       yes   yes     yes        yes      yes  yes
GET    /open311/v2/services/<code>.<fmt>           yes       yes   yes     yes        yes      yes  yes
GET    /open311/v2/requests.<fmt>                  yes       yes   yes     yes        yes      yes  yes
POST   /open311/v2/requests.<fmt>                  yes       yes   yes     yes        yes      yes  yes
GET    /open311/v2/requests/<request_id>.<fmt>     yes       yes   yes     yes        yes      yes  yes
"""


def parse_matrix(text: str) -> dict[tuple[str, str], dict[str, bool]]:
    first, *lines = text.strip().splitlines()
    assert tuple(first.split()[2:]) == COLUMNS
    matrix = {}
    for line in lines:  # a rule may hold spaces (``<any(a, b):layer>``): the cells are the last words
        method, rest = line.split(None, 1)
        rule, *cells = rest.rsplit(None, len(COLUMNS))
        assert len(cells) == len(COLUMNS) and set(cells) <= {"yes", "no"}, f"bad row {method} {rule}"
        assert (method, rule) not in matrix, f"{method} {rule} twice"
        matrix[(method, rule)] = {column: cell == "yes" for column, cell in zip(COLUMNS, cells, strict=True)}
    return matrix


MATRIX = parse_matrix(MATRIX_TEXT)


def app_routes(app: Flask) -> set[tuple[str, str]]:
    return {(m, r.rule) for r in app.url_map.iter_rules() for m in r.methods - {"HEAD", "OPTIONS"}}


def test_every_route_declares_roles_and_is_in_the_matrix(app: Flask) -> None:
    assert undeclared_endpoints(app) == []
    routes = app_routes(app)
    assert sorted(routes - MATRIX.keys()) == [], "routes missing from the literal matrix"
    assert sorted(MATRIX.keys() - routes) == [], "matrix rows for routes that no longer exist"


def test_an_undeclared_route_stops_the_app() -> None:
    app = Flask(__name__)
    app.add_url_rule("/declared", "declared", requires("admin")(lambda: "ok"))
    app.add_url_rule("/forgotten", "forgotten", lambda: "oops")
    with pytest.raises(RuntimeError, match="forgotten"):
        check_declarations(app)


def _denied(response, api: bool) -> bool:
    if response.status_code == 403:
        assert not (response.is_json and response.get_json().get("error") == "csrf"), "CSRF, not roles"
        return True
    if api:
        return response.status_code == 401 and response.is_json
    location = response.headers.get("Location", "")
    return response.status_code == 302 and location.startswith("/login?next=")


def _request(client: ContractClient, method: str, url: str, headers: dict[str, str]):
    body = {"json": {"version": 999_999}} if url.endswith("/retire") else {}
    if method in ("POST", "PATCH") and not body and url.startswith("/api/"):
        body = {"json": {}}
    response = client.open(url, method=method, headers=headers, buffered=False, **body)
    response.close()  # the live stream stays open otherwise
    return response


def test_role_matrix(app: Flask, people: People, engine) -> None:
    with unit_of_work(engine, people["planner"].id) as session:
        lamp = create_asset(session, "luminaire", {"code": "L-1", "geom": near(), **MINIMAL["luminaire"]}).id
        van = create_asset(session, "vehicle", {"code": "V-1", "geom": near(5), **MINIMAL["vehicle"]}).id
    values = {
        "asset_id": str(lamp), "alarm_id": "1", "command_id": "1", "order_id": "1", "name": "nobody", "plan_id": "1",
        "import_id": "0" * 32,
        "filename": "citypilot.css", "collection_id": "luminaire", "feature_id": str(lamp),
        "ext": "csv", "fmt": "json", "code": "lamp_out", "request_id": "1", "attachment_id": "1", "key": "signage",
        "z": "14", "x": "8421", "y": "5741", "layer": "nosuch",
        "any(lighting, environment, energy):layer": "lighting", "any(traffic, video, network):layer": "video",
    }
    failures = []
    for (method, rule), expected in sorted(MATRIX.items()):
        url = rule
        for name, value in {**values, **({"asset_id": str(van)} if "/vehicles/" in rule else {})}.items():
            url = url.replace(f"<int:{name}>", value).replace(f"<path:{name}>", value).replace(f"<{name}>", value)
        for column in COLUMNS:
            client: ContractClient = app.test_client()  # type: ignore[assignment]
            headers = {}
            if column == "anonymous":
                headers["X-CSRF-Token"] = page_csrf(client)
            else:
                headers.update(people[column].auth)
            response = _request(client, method, url, headers)
            allowed = not _denied(response, api=rule.startswith(("/api/", "/tiles/")))
            if allowed != expected[column]:
                verdict = "allowed" if allowed else "refused"
                failures.append(f"{method} {rule} as {column}: {response.status_code} ({verdict}, expected "
                                f"{'yes' if expected[column] else 'no'})")
    assert failures == [], "\n".join(failures)
