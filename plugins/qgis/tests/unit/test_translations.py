"""Every interface text of the plugin has its French translation in i18n/fr.ts."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "citypilot_qgis"
CALL = re.compile(r"""\btr\((["'])(.+?)\1""")
HEADERS = re.compile(r"headers = \(([^)]*)\)")


def texts() -> set[str]:
    found = set()
    for source in [PACKAGE / "plugin.py", *(PACKAGE / "ui").glob("*.py")]:
        code = source.read_text()
        found |= {m.group(2) for m in CALL.finditer(code)}
        for headers in HEADERS.finditer(code):
            found |= set(re.findall(r'"([^"]+)"', headers.group(1)))
    return found


def test_every_text_is_translated_into_french() -> None:
    catalogue = ET.parse(PACKAGE / "i18n" / "fr.ts").getroot()
    translated = {m.findtext("source"): m.findtext("translation") for m in catalogue.iter("message")}
    used = texts()
    assert len(used) > 30
    missing = sorted(t for t in used if not translated.get(t))
    assert not missing, missing
