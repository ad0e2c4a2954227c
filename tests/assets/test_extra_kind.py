"""Adding a kind takes its model, its spec and its migration, nothing else: a kind declared only in
tests (the retractable bollard, :mod:`tests.assets.extra_kind`) is validated, imported, exported, drawn
in its family's tiles, described by ``GET /api/v1/kinds`` and styled in the control room.

The kind is registered in a subprocess (a mapped model cannot be taken back out of the shared table)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import mapbox_vector_tile
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def probed(db_url: str, tmp_path: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "tests.assets.extra_kind_probe", db_url, str(tmp_path)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _kinds_in(tile: tuple[int, str]) -> set[str]:
    status, data = tile
    if status == 204:
        return set()
    assert status == 200
    decoded = mapbox_vector_tile.decode(bytes.fromhex(data))
    return {f["properties"]["kind"] for f in decoded.get("traffic", {}).get("features", [])}


def test_a_kind_declared_in_one_module_is_known_everywhere(probed: dict) -> None:
    # validation: a bad value is rejected naming its field
    assert "rise_height_mm" in probed["bad_height"]
    assert "bollard_type" in probed["bad_type"]
    # import and export
    assert probed["import"] == {"read": 2, "imported": 2, "errors": {}}
    assert probed["exported_rows"] == 2
    assert probed["exported"] == [["BOR-1", "retractable", 601], ["BOR-2", "retractable", 602]]
    # tiles: in its family's layer, from its own detail zoom
    assert "bollard" in probed["layers"]["traffic"]
    assert probed["kind_zoom"]["bollard"] == 15
    assert "bollard" in _kinds_in(probed["tiles"]["16"])
    assert "bollard" not in _kinds_in(probed["tiles"]["14"])
    # devices and alarms: it talks, and reports every 5 minutes
    assert "bollard" not in probed["passive"]
    assert probed["intervals"]["bollard"] == 300
    assert probed["device"] == "bollard"
    # the API's kind list
    assert probed["kinds_status"] == 200
    [kind] = probed["kinds"]
    assert kind["label"] == "borne escamotable"
    assert kind["family"] == "traffic" and kind["tile_layer"] == "traffic" and kind["transport"] == "mqtt"
    assert kind["min_zoom"] == 15 and kind["parents"] == ["signal_controller"] and kind["complete"] == ["bollard_type"]
    attributes = {a["name"]: a for a in kind["attributes"]}
    height = attributes["rise_height_mm"]
    assert (height["type"], height["unit"], height["min"], height["max"]) == ("integer", "mm", 100, 1200)
    assert height["labels"] == {"en": "rise height", "fr": "hauteur levée"}
    assert attributes["bollard_type"]["choices"][0] == {
        "value": "retractable", "label_en": "retractable", "label_fr": "escamotable",
    }
    assert attributes["bollard_type"]["complete"] and not attributes["bollard_type"]["required"]
    assert attributes["parent_id"]["references"] == ["signal_controller"]
    # the map style, in the API and in the control room's page
    style = {"radius": [2, 2.5, 3, 3.5, 4], "outline": "#7a4b00", "weight": 1.5, "fixed": None, "line": None,
             "opacity": None, "area": False, "passive": False}
    assert kind["style"] == style
    assert probed["page_style"] == style
