"""A CityPilot for the plugin's tests, run by the project's own ``.venv`` (QGIS's Python cannot import the app).

Starts a private PostGIS, loads the demo city into a migrated database, gives each role a user (with the
tests' password and an API token) and serves it with ``citypilot serve`` (gunicorn). Prints one JSON line
(``base``, ``db_url``, ``tokens``, ``password``), then makes the device reports its standard input asks
for (one JSON line each, answered by one), until it closes; then stops everything and deletes the cluster.
"""

from __future__ import annotations

import datetime as dt
import json
import signal
import sys
import tempfile
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from app.servers import PrivatePostgres  # noqa: E402
from assets.accounts import set_password  # noqa: E402
from assets.alarms.lifecycle import raise_alarm  # noqa: E402
from assets.db import make_engine, unit_of_work  # noqa: E402
from assets.db.admin import create_migrated_database  # noqa: E402
from assets.demo import DEFAULT_SEED, load_demo  # noqa: E402
from assets.live.records import Reading  # noqa: E402
from assets.live.writer import LiveWriter  # noqa: E402
from fieldservice import crews  # noqa: E402

from tests.browser.conftest import start_server  # noqa: E402
from tests.web.helpers import PASSWORD, make_people  # noqa: E402


def _alarms_and_crew(session, crew_user_id: int) -> None:
    """Three lamps out (active alarms, as the alarm engine raises them) and a lighting crew to assign."""
    lamps = session.execute(text("SELECT id FROM assets WHERE kind = 'luminaire' ORDER BY id LIMIT 3")).scalars()
    now = dt.datetime.now(dt.UTC)
    for lamp in lamps:
        raise_alarm(session, lamp, "lamp_failure", now)
    crew = crews.create_crew(session, "Équipe Centre", ["lighting"]).id
    crews.add_member(session, crew, crew_user_id)
    crews.set_clearance(session, crew_user_id, "BR", dt.date(2030, 1, 1))


def _report(db_url: str, command: dict) -> dict:
    """A device's report, as the ingest stores it (live state, history, NOTIFY): {"code", "state"}."""
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            asset_id = conn.execute(text("SELECT id FROM assets WHERE code = :c"), {"c": command["code"]}).scalar()
    finally:
        engine.dispose()
    if asset_id is None:
        return {"error": f"no asset {command['code']}"}
    with LiveWriter(db_url, client="qgis-tests") as writer:
        writer.write([Reading(asset_id, dt.datetime.now(dt.UTC), {"lamp_failure": command["state"] == "fault"},
                              state=command["state"])])
    return {"asset_id": asset_id, "state": command["state"]}


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stopped by a signal: still clean up
    folder = Path(tempfile.mkdtemp(prefix="citypilot-qgis-"))
    folder.chmod(0o755)
    postgres = PrivatePostgres(folder / "postgres", durable=False)
    postgres.up()
    served = None
    try:
        engine = create_migrated_database(postgres.admin_url("postgres"), "cp_qgis")
        db_url = engine.url.render_as_string(hide_password=False)
        load_demo(engine, seed=DEFAULT_SEED)
        with unit_of_work(engine, None) as session:
            people = make_people(session)
            for person in people.values():
                set_password(session, person.name, PASSWORD)
            _alarms_and_crew(session, people["crew"].id)
        engine.dispose()
        engine = make_engine(db_url)
        engine.dispose()
        served, base = start_server(db_url, folder / "home")
        tokens = {role: person.token for role, person in people.items()}
        print(json.dumps({"base": base, "db_url": db_url, "tokens": tokens, "password": PASSWORD}), flush=True)
        for line in sys.stdin:  # each line a device report to make, until the tests close the pipe
            print(json.dumps(_report(db_url, json.loads(line))), flush=True)
    finally:
        if served is not None:
            served.stop()
        postgres.purge()


if __name__ == "__main__":
    main()
