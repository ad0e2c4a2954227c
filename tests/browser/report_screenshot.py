"""The README's screenshot of a monthly contract report (``docs/screenshots/report-month.png``), on the demo
city with a year of generated history, in a throwaway PostgreSQL::

    .venv/bin/python tests/browser/report_screenshot.py [--month 2026-11] [--lang en] [--keep-html DIR]

Loads the demo city and its field service, runs ``citypilot demo history --months 12``'s generator, writes the
month's report (``app.reports.month.write_month``) and photographs its HTML page in Debian's Chromium, headless,
offline (every request that is not a ``file:`` or ``data:`` URL is aborted and reported: the page needs none).
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def _last_month() -> str:
    today = dt.datetime.now(dt.UTC).date().replace(day=1) - dt.timedelta(days=1)
    return f"{today.year}-{today.month:02d}"


def make_report(folder: Path, month: str, lang: str) -> Path:
    """The report's HTML page for ``month`` on the demo city with its history (a throwaway database)."""
    from app.reports.month import write_month
    from app.servers import PrivatePostgres
    from assets.db import unit_of_work
    from assets.db.admin import create_migrated_database
    from assets.demo import load_demo
    from fieldservice.contract.history import generate_history
    from fieldservice.contract.month import contract_month
    from fieldservice.demo import load_demo_fieldservice

    server_dir = Path(tempfile.mkdtemp(prefix="citypilot-report-pg-"))
    server_dir.chmod(0o755)
    server = PrivatePostgres(server_dir / "postgres", durable=False)
    try:
        server.up()
        engine = create_migrated_database(server.admin_url("postgres"), "cp_report_screenshot")
        load_demo(engine)
        with unit_of_work(engine, None) as session:
            load_demo_fieldservice(session)
        generate_history(engine, months=12)
        with unit_of_work(engine, None) as session:
            data = contract_month(session, month)
        engine.dispose()
        return write_month(data, folder, lang)[0]
    finally:
        server.purge()
        shutil.rmtree(server_dir, ignore_errors=True)


def photograph(page_file: Path, out: Path, *, chromium: str = "/usr/bin/chromium",
               size: tuple[int, int] = (1280, 1500)) -> list[str]:
    """Save the top of the page as a PNG; the URLs it asked for that were refused (none expected)."""
    from playwright.sync_api import sync_playwright

    refused: list[str] = []

    def abort(route: object) -> None:
        refused.append(route.request.url)  # type: ignore[attr-defined]
        route.abort()  # type: ignore[attr-defined]

    out.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": size[0], "height": size[1]}, timezone_id="Europe/Paris")
        context.route(lambda url: not url.startswith(("file:", "data:", "blob:")), abort)
        page = context.new_page()
        page.goto(page_file.resolve().as_uri())
        page.wait_for_timeout(1500)  # the map draws its markers
        page.screenshot(path=str(out))
        browser.close()
    return refused


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--month", default=_last_month())
    parser.add_argument("--lang", choices=("fr", "en"), default="en")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots" / "report-month.png")
    parser.add_argument("--keep-html", type=Path, default=None, help="Keep the report's files in this folder.")
    args = parser.parse_args()
    folder = args.keep_html or Path(tempfile.mkdtemp(prefix="citypilot-report-"))
    page = make_report(folder, args.month, args.lang)
    refused = photograph(page, args.out)
    print(args.out)
    if refused:
        print(f"refused requests (the report must need none): {refused[:5]}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
