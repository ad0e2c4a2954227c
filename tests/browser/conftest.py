"""Browser tests of the control room: the real server (``citypilot serve``, gunicorn) on a copy of the
demo city, driven by Playwright with Debian's Chromium, headless, without WebGL.

Every page aborts any request to another origin, and the test fails if one was attempted.
Chromium is ``/usr/bin/chromium`` (``make bootstrap`` installs it); never ``playwright install``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright import sync_api
from sqlalchemy import Engine

from assets.accounts import set_password
from assets.db import make_engine, unit_of_work
from tests.plugins.database import create_database
from tests.web.helpers import PASSWORD, People, make_people

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CITYPILOT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
CLI = "from app.cli import main; main()"
VIEWPORT = {"width": 1400, "height": 850}


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Process:
    """A ``citypilot`` subprocess and its log."""

    name: str
    process: subprocess.Popen
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def start_cli(args: list[str], db_url: str, home: Path, name: str, extra_env: dict[str, str] | None = None,
              cli: str = CLI) -> Process:
    """``citypilot ARGS`` against ``db_url``, logging to ``home/name.log`` (``cli``: the Python that runs it)."""
    home.mkdir(parents=True, exist_ok=True)
    log = home / f"{name}.log"
    env = {**os.environ, "DATABASE_URL": db_url, "CITYPILOT_HOME": str(home), "PYTHONPATH": str(ROOT),
           **(extra_env or {})}
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-c", cli, *args], env=env, cwd=ROOT, stdout=out,
                                   stderr=subprocess.STDOUT)
    return Process(name, process, log)


def wait_for_log(process: Process, text: str, timeout: float = 30.0) -> None:
    """Wait until the process logged ``text`` (it must not exit meanwhile)."""
    deadline = time.monotonic() + timeout
    while text not in process.text():
        assert process.process.poll() is None, f"{process.name} exited: {process.text()[-2000:]}"
        assert time.monotonic() < deadline, f"{process.name} did not log {text!r}: {process.text()[-2000:]}"
        time.sleep(0.1)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not shutil.which(CHROMIUM):
        pytest.fail(f"no Chromium at {CHROMIUM}: `make bootstrap` installs it (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(scope="session")
def city_db_url(pg_admin_url: str, demo_db_url: str, demo_engine: Engine) -> str:
    """A copy of the demo city the browser tests may change (live states, alarms, commands)."""
    demo_engine.dispose()  # CREATE DATABASE ... TEMPLATE needs the demo database idle
    return create_database(pg_admin_url, "cp_browser", template="cp_demo")


@pytest.fixture(scope="session")
def city_engine(city_db_url: str) -> Iterator[Engine]:
    engine = make_engine(city_db_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def city_people(city_engine: Engine) -> People:
    """One user per role (named after it), each with the password ``PASSWORD``."""
    with unit_of_work(city_engine, None) as session:
        people = make_people(session)
        for person in people.values():
            set_password(session, person.name, PASSWORD)
    return people


def start_server(db_url: str, home: Path) -> tuple[Process, str]:
    """``citypilot serve`` (gunicorn, one worker with threads for the live streams) on a free port, started."""
    port = free_port()
    served = start_cli(["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--threads", "24"],
                       db_url, home, "serve", {"CITYPILOT_AUTH_CACHE_S": "1"})
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return served, base
        except OSError:
            pass
        if served.process.poll() is not None or time.monotonic() > deadline:
            served.stop()
            raise AssertionError("the server did not start: " + served.text())
        time.sleep(0.2)


@pytest.fixture(scope="package")
def server(city_db_url: str, city_people: People, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo city's ``citypilot serve``; yields its base URL."""
    served, base = start_server(city_db_url, tmp_path_factory.mktemp("browser-home"))
    try:
        yield base
    finally:
        served.stop()


@pytest.fixture(scope="package")  # Playwright's sync API holds an event loop: closed after the browser tests
def browser(chromium_path: str) -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


@dataclass
class OriginGuard:
    """Aborts every request to another origin than the app's, and remembers it (same-origin requests are
    not intercepted at all)."""

    origin: str
    foreign: list[str] = field(default_factory=list)

    def matches(self, url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme not in ("data", "blob") and f"{parts.scheme}://{parts.netloc}" != self.origin

    def __call__(self, route: object) -> None:
        self.foreign.append(route.request.url)  # type: ignore[attr-defined]
        route.abort()  # type: ignore[attr-defined]


@pytest.fixture
def guard(server: str) -> OriginGuard:
    return OriginGuard(server)


@pytest.fixture
def context(browser: object, guard: OriginGuard) -> Iterator[object]:
    """A fresh browser context (no cookies) whose requests may not leave the app's origin."""
    made = browser.new_context(viewport=VIEWPORT, locale="fr-FR", timezone_id="Europe/Paris")  # type: ignore[attr-defined]
    made.route(guard.matches, guard)
    yield made
    made.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> object:
    """A test whose pages tried to reach another origin fails (the requests were aborted)."""
    result = yield
    guard = getattr(item, "funcargs", {}).get("guard")
    if isinstance(guard, OriginGuard) and guard.foreign:
        raise AssertionError(f"the page asked other origins: {guard.foreign[:5]}")
    return result


@pytest.fixture
def errors() -> list[str]:
    """JavaScript errors and refused resources (the page's own-origin policy) of the pages (a test asserts there are
    none)."""
    return []


def watch(page: object, errors: list[str]) -> object:
    page.on("pageerror", lambda error: errors.append(str(error)))  # type: ignore[attr-defined]
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and (  # type: ignore[attr-defined]
        "Content Security Policy" in m.text or "Refused to" in m.text) else None)
    return page


@pytest.fixture
def page(context: object, errors: list[str]) -> object:
    return watch(context.new_page(), errors)  # type: ignore[attr-defined]


@pytest.fixture
def other_page(browser: object, guard: OriginGuard, errors: list[str]) -> Iterator[object]:
    """A second person's page (its own context and cookies), under the same origin guard."""
    made = browser.new_context(viewport=VIEWPORT, locale="fr-FR", timezone_id="Europe/Paris")  # type: ignore[attr-defined]
    made.route(guard.matches, guard)
    second = watch(made.new_page(), errors)
    yield second
    made.close()


SignIn = Callable[..., object]


@pytest.fixture
def sign_in(guard: OriginGuard) -> SignIn:
    """``sign_in(page, "supervisor")``: the login form of the app under test, as a person fills it."""

    def sign(page: object, name: str, password: str = PASSWORD) -> object:
        page.goto(f"{guard.origin}/login")  # type: ignore[attr-defined]
        page.fill("input[name=username]", name)  # type: ignore[attr-defined]
        page.fill("input[name=password]", password)  # type: ignore[attr-defined]
        with page.expect_navigation():  # type: ignore[attr-defined]
            page.click("button[type=submit]")  # type: ignore[attr-defined]
        return page

    return sign
