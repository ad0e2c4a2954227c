"""The plugin's tests run under QGIS's Python (``.venv-qgis``); the CityPilot they talk to runs in the
project's own ``.venv`` (``tests/city_server.py``: private PostGIS, the demo city, gunicorn), in another
process, as QGIS needs.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from citypilot_qgis.logic.client import Client

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
PROJECT_PYTHON = Path(os.environ.get("CITYPILOT_PYTHON", ROOT / ".venv" / "bin" / "python"))


@dataclass(frozen=True)
class City:
    """The running CityPilot: base URL, database URL, a token and the password of each role's user."""

    base: str
    db_url: str
    tokens: dict[str, str]
    password: str
    process: subprocess.Popen | None = field(default=None, compare=False, repr=False)

    def report(self, code: str, state: str) -> dict:
        """Make the asset ``code``'s device report ``state`` (through the live writer, as the ingest does)."""
        assert self.process is not None and self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps({"code": code, "state": state}) + "\n")
        self.process.stdin.flush()
        answer = json.loads(self.process.stdout.readline())
        assert "error" not in answer, answer
        return answer

    def client(self, role: str, language: str = "en") -> Client:
        return Client(self.base, self.tokens[role], language)


@pytest.fixture(scope="session")
def city() -> Iterator[City]:
    if not PROJECT_PYTHON.exists():
        pytest.fail(f"no project Python at {PROJECT_PYTHON}: run `make bootstrap` first")
    process = subprocess.Popen([str(PROJECT_PYTHON), str(HERE / "city_server.py")], cwd=ROOT, text=True,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            pytest.fail(f"the CityPilot test server did not start (exit {process.wait()})")
        yield City(**json.loads(line), process=process)
    finally:
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
