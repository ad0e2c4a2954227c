"""The OGC's own black-box verifier (``ogctests``, features/core) against ``/ogc`` on the served demo city.

ogctests pins pytest 8 while the project runs pytest 9, so it lives in a virtual environment of its
own (``.venv-ogc``, made by ``make bootstrap``). Its command exits 0 even when tests fail: the JUnit
report it is asked for is what this test reads.
"""

from __future__ import annotations

import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.browser.conftest import ROOT

OGC_PYTHON = Path(os.environ.get("CITYPILOT_OGCTESTS_PYTHON", ROOT / ".venv-ogc" / "bin" / "python"))


def test_ogctests_features_core_pass(server: str, tmp_path: Path) -> None:
    if not OGC_PYTHON.exists():
        pytest.fail(f"no {OGC_PYTHON}: `make bootstrap` makes the ogctests environment")
    report = tmp_path / "ogctests.xml"
    runner = (
        "import sys; from ogctests.main import run_ogctests; "
        f"sys.exit(run_ogctests('features/core', {server + '/ogc'!r}, ['-q', '-p', 'no:cacheprovider', "
        f"'--junitxml={report}']))"
    )
    done = subprocess.run([str(OGC_PYTHON), "-c", runner], capture_output=True, text=True, timeout=600,
                          cwd=tmp_path)
    assert report.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    suite = ET.parse(report).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    failed = [
        f"{case.get('name')}: {problem.get('message', '')[:300]}"
        for case in suite.iter("testcase")
        for problem in (case.find("failure"), case.find("error"))
        if problem is not None
    ]
    assert int(suite.get("tests", "0")) >= 29 and suite.get("skipped") == "0", (suite.attrib, done.stdout[-2000:])
    assert failed == [], "\n".join(failed)
