"""The plugin's own rules, without QGIS: kind spec → styles and forms, edits → API calls, docks' rows."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from citypilot_qgis.logic.edits import EditSession, Op, plan
from citypilot_qgis.logic.kinds import by_family, parse_kinds
from citypilot_qgis.logic.styles import CLASS_EXPRESSION, qml, rgba
from citypilot_qgis.logic.work import alarm_rows, fed_codes, order_from_selection

SPEC = [
    {"name": "luminaire", "family": "lighting", "labels": {"en": "luminaire", "fr": "luminaire"},
     "geometry_types": ["Point"], "style": {"radius": [2, 3, 4], "outline": None, "weight": 1, "fixed": None},
     "fields": ["code", "luminaire_type", "power_w"],
     "attributes": [
         {"name": "code", "type": "text", "labels": {"en": "code", "fr": "code"}, "required": True, "choices": []},
         {"name": "luminaire_type", "type": "text", "labels": {"en": "luminaire type", "fr": "type de luminaire"},
          "choices": [{"value": "lantern", "label_en": "lantern", "label_fr": "lanterne"},
                      {"value": "bollard", "label_en": "bollard", "label_fr": "borne"}]},
         {"name": "power_w", "type": "integer", "unit": "W", "labels": {"en": "power", "fr": "puissance"}},
     ]},
    {"name": "fibre_segment", "family": "network", "labels": {"en": "fibre segment", "fr": "tronçon fibre"},
     "geometry_types": ["LineString"], "style": {"line": "#1f77b4", "opacity": 0.7, "weight": 1.5}, "attributes": []},
]


def test_kinds_parse_with_families_geometry_and_french_value_maps() -> None:
    kinds = parse_kinds(SPEC)
    assert list(by_family(kinds)) == ["lighting", "network"]
    luminaire, segment = kinds
    assert (luminaire.geometry, segment.geometry) == ("point", "line")
    assert luminaire.attribute("luminaire_type").value_map("fr") == [("lanterne", "lantern"), ("borne", "bollard")]
    assert luminaire.attribute("power_w").label("fr") == "puissance (W)"


def test_qml_is_a_categorised_style_with_forms_and_constraints() -> None:
    luminaire, segment = parse_kinds(SPEC)
    root = ET.fromstring(qml(luminaire, "fr").split("'SYSTEM'>", 1)[1])
    assert root.find("renderer-v2").get("attr") == CLASS_EXPRESSION  # a fault shows over the status
    labels = {c.get("value"): c.get("label") for c in root.iter("category")}
    assert labels["fault"] == "en panne" and labels["in_service"] == "en service"
    assert root.find("renderer-v2").find("symbols/symbol/layer").get("class") == "SimpleMarker"
    widget = root.find("fieldConfiguration/field[@name='luminaire_type']/editWidget")
    assert widget.get("type") == "ValueMap"
    entries = [(o.get("name"), o.get("value")) for o in widget.iter("Option") if o.get("type") == "QString"]
    assert entries == [("lanterne", "lantern"), ("borne", "bollard")]
    assert [c.get("field") for c in root.iter("constraint")] == ["code"]
    assert root.find("aliases/alias[@field='luminaire_type']").get("name") == "type de luminaire"
    line = ET.fromstring(qml(segment).split("'SYSTEM'>", 1)[1]).find("renderer-v2/symbols/symbol/layer")
    assert line.get("class") == "SimpleLine"
    assert "31,119,180,178" in ET.tostring(line).decode()


def test_each_legend_class_of_a_status_kind_has_its_own_colour() -> None:
    """A fault and an asset taken out of service must not look alike on the map or in the legend."""
    luminaire, _ = parse_kinds(SPEC)
    root = ET.fromstring(qml(luminaire, "en").split("'SYSTEM'>", 1)[1])
    colours = {s.get("name"): s.find("layer/Option/Option[@name='color']").get("value")
               for s in root.iter("symbol")}
    legend = {c.get("label"): colours[c.get("symbol")] for c in root.iter("category") if c.get("value")}
    assert set(legend) >= {"fault", "unreachable", "in service", "out of service", "planned", "removed"}
    assert len(set(legend.values())) == len(legend), legend


def test_colours() -> None:
    assert rgba("#2e9d46") == "46,157,70,255"
    assert rgba("nonsense", 0.5) == "46,157,70,128"


def test_plan_merges_changes_drops_server_fields_and_retires_deleted() -> None:
    session = EditSession(
        "luminaire", versions={10: 3, 11: 1, 12: 7},
        added={-1: ({"code": "LUM-NEW", "version": 1, "id": None}, {"type": "Point", "coordinates": [5, 47]})},
        changed_attributes={10: {"power_w": 40, "updated_at": "x"}, 12: {"power_w": 1}},
        changed_geometries={10: {"type": "Point", "coordinates": [5.1, 47.1]}, 11: {"type": "Point",
                                                                                    "coordinates": [5, 47]}},
        deleted=[12])
    changes = plan(session)
    assert [(c.op, c.asset_id, c.version) for c in changes] == [
        (Op.RETIRE, 12, 7), (Op.UPDATE, 10, 3), (Op.UPDATE, 11, 1), (Op.CREATE, None, None)]
    assert changes[1].properties == {"power_w": 40}
    assert changes[1].geometry == {"type": "Point", "coordinates": [5.1, 47.1]}
    assert changes[2].properties == {}
    assert changes[3].properties == {"code": "LUM-NEW"}


def test_rows_orders_and_feeds() -> None:
    (row,) = alarm_rows([{"id": 4, "severity": "major", "state": "open", "message": "lamp out",
                          "raised_at": "2026-12-07T02:14:00Z", "asset": {"code": "LUM-1", "lon": 5.0, "lat": 47.3}}],
                        "fr")
    assert row.cells[:3] == ("majeure", "ouverte", "LUM-1")
    assert (row.lon, row.lat) == (5.0, 47.3)
    body = order_from_selection("traffic", [3, 1, 3], "planner", "relamp")
    assert body == {"origin": "planned", "category": "signals", "priority": "normal", "asset_ids": [1, 3],
                    "description": "relamp"}
    with pytest.raises(ValueError, match="asset_ids"):
        order_from_selection("lighting", [], "operator")
    assert fed_codes({"items": [{"kind": "pole", "code": "P1"}, {"kind": "pole", "code": "P2"}]}) == {
        "pole": {"P1", "P2"}}


def test_server_sent_events_are_read_across_any_chunking() -> None:
    from citypilot_qgis.logic.live import latest, state_change
    from citypilot_qgis.logic.sse import SseParser

    text = ('retry: 5000\n: connected\n\nevent: state\ndata: {"asset_id": 7, "kind": "luminaire", '
            '"state": "fault", "since": "2026-12-07T10:00:00Z", "ts": "x"}\n\n: keepalive\n\n'
            'event: resync\ndata: {"type": "resync"}\n\nevent: state\ndata: {"asset_id": 7, "kind": "luminaire", '
            '"state": "éteint?"}\n\nevent: state\ndata: {broken\n\n').encode()
    whole = SseParser().feed(text)
    parser = SseParser()
    pieces = [parser.feed(text[i:i + 7]) for i in range(0, len(text), 7)]  # splits lines and the é
    assert [e for piece in pieces for e in piece] == whole
    assert [name for name, _ in whole] == ["state", "resync", "state"]
    changes = [c for c in (state_change(data) for _, data in whole) if c]
    assert changes[0].state == "fault" and changes[0].since == "2026-12-07T10:00:00Z"
    assert changes[1].state == "unknown"  # a state the plugin does not know is drawn as unknown
    assert list(latest(changes).values()) == [changes[1]]  # a burst: the last state of each asset
    assert state_change({"type": "resync"}) is None
