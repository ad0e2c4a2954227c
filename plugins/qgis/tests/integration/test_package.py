"""`make qgis-plugin`'s zip: it builds with qgis-plugin-dev-tools, its metadata is valid, it carries the icon,
the licence and the compiled French translation, and the plugin loads from it in QGIS."""

from __future__ import annotations

import configparser
import importlib
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

PLUGIN_ROOT = Path(__file__).resolve().parents[2]
QPDT = Path(sys.executable).with_name("qgis-plugin-dev-tools")
REQUIRED = ("name", "qgisMinimumVersion", "description", "about", "version", "author", "email", "repository")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The plugin built from a copy of its sources, as `make qgis-plugin` does."""
    work = tmp_path_factory.mktemp("qgis-plugin")
    shutil.copytree(PLUGIN_ROOT / "citypilot_qgis", work / "citypilot_qgis",
                    ignore=shutil.ignore_patterns("__pycache__", "*.qm"))
    for name in ("pyproject.toml", "CHANGELOG.md"):
        shutil.copy(PLUGIN_ROOT / name, work / name)
    subprocess.run(["lrelease", "-silent", str(work / "citypilot_qgis" / "i18n" / "fr.ts")], check=True)
    subprocess.run([str(QPDT), "build"], cwd=work, check=True, env={"PYTHONPATH": str(work), "PATH": "/usr/bin:/bin"})
    (zip_path,) = (work / "dist").glob("*.zip")
    return zip_path


def test_the_zip_holds_valid_metadata_icon_licence_and_translations(built: Path) -> None:
    version = (PLUGIN_ROOT / "CHANGELOG.md").read_text().split("\n## ", 1)[1].split(" ", 1)[0]
    assert built.name == f"citypilot_qgis-{version}.zip"
    with zipfile.ZipFile(built) as archive:
        names = set(archive.namelist())
        metadata = configparser.ConfigParser()
        metadata.read_string(archive.read("citypilot_qgis/metadata.txt").decode())
        licence = archive.read("citypilot_qgis/LICENSE").decode()
    general = metadata["general"]
    assert all(general.get(key) for key in REQUIRED), [k for k in REQUIRED if not general.get(k)]
    assert general["version"] == version
    assert general["qgisMinimumVersion"] == "3.22"
    assert f"citypilot_qgis/{general['icon']}" in names
    assert {"citypilot_qgis/LICENSE", "citypilot_qgis/i18n/fr.qm", "citypilot_qgis/__init__.py"} <= names
    assert any(n.startswith("citypilot_qgis/_vendor/qgis_plugin_tools/") for n in names)
    assert general.get("license") == "AGPL-3.0-or-later"
    assert "GNU AFFERO GENERAL PUBLIC LICENSE" in licence and "TERMS AND CONDITIONS" in licence
    assert "13. Remote Network Interaction" in licence  # the full text, not only a notice
    assert not any("/tests/" in n or n.endswith(".pyc") for n in names)


def test_the_plugin_loads_from_the_zip_in_qgis(built: Path, tmp_path: Path, qgis_iface, monkeypatch) -> None:
    with zipfile.ZipFile(built) as archive:
        archive.extractall(tmp_path)
    for name in [m for m in sys.modules if m == "citypilot_qgis" or m.startswith("citypilot_qgis.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.syspath_prepend(str(tmp_path))
    package = importlib.import_module("citypilot_qgis")
    assert Path(package.__file__).is_relative_to(tmp_path)
    plugin = package.classFactory(qgis_iface)
    plugin.initGui()
    assert plugin.actions[0].text() == "Connect to CityPilot…"
    assert len(plugin.actions) == 6
    # its messages go through the bundled qgis-plugin-tools (QGIS has no such package installed)
    logging_module = sys.modules["citypilot_qgis._vendor.qgis_plugin_tools.tools.custom_logging"]
    assert Path(logging_module.__file__).is_relative_to(tmp_path)
    plugin.unload()
