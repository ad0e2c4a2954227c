"""A kind's map style (from the kind spec) → a QGIS style document (QML): symbol, aliases, forms, constraints.

Colours are the control room's (``app/web/static/control_room/styles.js``): a kind with a ``fixed`` colour
keeps it, the others show their status; sizes are the spec's radius at the middle zoom, in pixels.
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from .kinds import Kind
from .live import ALERTING, STATE_COLOURS, STATE_LABELS

QGIS_VERSION = "3.22.16"
#: Status → fill colour (in service like the control room's ``ok``; planned and removed muted).
STATUS_COLOURS = {"in_service": "#2e9d46", "planned": "#97a3af", "out_of_service": "#4d5a66",
                  "removed": "#c7ccd1"}
DEFAULT_COLOUR = "#2e9d46"
STATUS_LABELS = {"in_service": {"en": "in service", "fr": "en service"}, "planned": {"en": "planned", "fr": "projeté"},
                 "out_of_service": {"en": "out of service", "fr": "hors service"},
                 "removed": {"en": "removed", "fr": "déposé"}, "": {"en": "other", "fr": "autre"}}
PX_TO_MM = 0.2646


def rgba(colour: str | None, opacity: float | None = None, fallback: str = DEFAULT_COLOUR) -> str:
    """``#rrggbb`` → QGIS's ``r,g,b,a``."""
    text = (colour or fallback).lstrip("#")
    if len(text) != 6:
        text = fallback.lstrip("#")
    r, g, b = (int(text[i:i + 2], 16) for i in (0, 2, 4))
    alpha = round(255 * (1.0 if opacity is None else max(0.0, min(1.0, float(opacity)))))
    return f"{r},{g},{b},{alpha}"


def _options(values: dict[str, str]) -> str:
    inner = "".join(f'<Option name={quoteattr(k)} type="QString" value={quoteattr(v)}/>' for k, v in values.items())
    return f'<Option type="Map">{inner}</Option>'


def _symbol_layer(kind: Kind, fill: str, alerting: bool = False) -> tuple[str, str]:
    """``(symbol type, <layer> xml)`` for the kind's geometry (``alerting``: the live colour wins)."""
    style = dict(kind.style)
    if alerting:
        style.pop("fixed", None)
        style.pop("line", None)
    outline = rgba(style.get("outline"), fallback="#333333")
    weight = f"{float(style.get('weight') or 1) * PX_TO_MM:.3f}"
    if kind.geometry == "line":
        line = rgba(style.get("line") or style.get("fixed") or fill, style.get("opacity"))
        return "line", '<layer class="SimpleLine" enabled="1" locked="0" pass="0">' + _options({
            "line_color": line, "line_width": f"{max(float(style.get('weight') or 1), 1.0) * 2 * PX_TO_MM:.3f}",
            "line_width_unit": "MM", "capstyle": "round", "joinstyle": "round", "line_style": "solid"}) + "</layer>"
    if kind.geometry == "polygon":
        return "fill", '<layer class="SimpleFill" enabled="1" locked="0" pass="0">' + _options({
            "color": rgba(style.get("fixed") or fill, 0.45), "outline_color": outline, "outline_width": weight,
            "outline_width_unit": "MM", "style": "solid", "outline_style": "solid"}) + "</layer>"
    radii = list(style.get("radius") or [3])
    size = float(radii[len(radii) // 2]) * 2 * PX_TO_MM
    return "marker", '<layer class="SimpleMarker" enabled="1" locked="0" pass="0">' + _options({
        "name": "circle", "color": rgba(style.get("fixed") or fill), "size": f"{size:.3f}", "size_unit": "MM",
        "outline_color": outline if style.get("outline") else "0,0,0,0", "outline_width": weight,
        "outline_width_unit": "MM", "outline_style": "solid" if style.get("outline") else "no"}) + "</layer>"


def _symbol(kind: Kind, name: str, fill: str, alerting: bool = False) -> str:
    symbol_type, layer = _symbol_layer(kind, fill, alerting)
    return (f'<symbol type="{symbol_type}" name={quoteattr(name)} alpha="1" clip_to_extent="1" force_rhr="0">'
            f"{layer}</symbol>")


#: The renderer's class: a device in fault or unreachable shows that (joined from the live states, see
#: ``ui/live.py``), every other asset its inventory status.
CLASS_EXPRESSION = ("CASE WHEN \"live_state\" IN ('fault', 'unreachable') THEN \"live_state\" "
                    "ELSE \"status\" END")


def renderer(kind: Kind, language: str = "en") -> str:
    """Categorised on the live state where it alerts, else on ``status`` (the kind's fixed colour where it
    has one, except for a fault); other values in the default."""
    classes = [(status, STATUS_LABELS[status][language], colour) for status, colour in STATUS_COLOURS.items()]
    classes += [(state, STATE_LABELS[state][language], STATE_COLOURS[state]) for state in ALERTING]
    categories = "".join(
        f'<category render="true" symbol="{i}" value={quoteattr(value)} label={quoteattr(label)}/>'
        for i, (value, label, _) in enumerate(classes))
    symbols = "".join(_symbol(kind, str(i), colour, alerting=value in ALERTING)
                      for i, (value, _, colour) in enumerate(classes))
    return (f'<renderer-v2 type="categorizedSymbol" attr={quoteattr(CLASS_EXPRESSION)} symbollevels="0" '
            f'enableorderby="0" forceraster="0"><categories>{categories}'
            f'<category render="true" symbol="{len(classes)}" value="" '
            f'label={quoteattr(STATUS_LABELS[""][language])}/></categories>'
            f'<symbols>{symbols}{_symbol(kind, str(len(classes)), DEFAULT_COLOUR)}</symbols>'
            "</renderer-v2>")


def field_configuration(kind: Kind, language: str) -> str:
    """Value maps for the choices; ``id``, ``kind``, ``version`` and the timestamps are not editable."""
    fields = []
    for attribute in kind.attributes:
        if not attribute.choices:
            continue
        entries = "".join(f'<Option type="Map"><Option name={quoteattr(label)} type="QString" '
                          f"value={quoteattr(value)}/></Option>" for label, value in attribute.value_map(language))
        fields.append(f'<field name={quoteattr(attribute.name)} configurationFlags="None"><editWidget type="ValueMap">'
                      f'<config><Option type="Map"><Option name="map" type="List">{entries}</Option></Option>'
                      "</config></editWidget></field>")
    return f"<fieldConfiguration>{''.join(fields)}</fieldConfiguration>"


def aliases(kind: Kind, language: str) -> str:
    return "<aliases>" + "".join(
        f'<alias field={quoteattr(a.name)} index="{i}" name={quoteattr(a.label(language))}/>'
        for i, a in enumerate(kind.attributes)) + "</aliases>"


def constraints(kind: Kind) -> str:
    return "<constraints>" + "".join(
        f'<constraint field={quoteattr(a.name)} constraints="1" notnull_strength="1" unique_strength="0" '
        'exp_strength="0"/>' for a in kind.attributes if a.required) + "</constraints>"


READ_ONLY_FIELDS = ("id", "kind", "version", "created_at", "updated_at", "commune_insee")


def editable(kind: Kind) -> str:
    return "<editable>" + "".join(f'<field name={quoteattr(name)} editable="0"/>' for name in READ_ONLY_FIELDS) \
        + "</editable>"


def qml(kind: Kind, language: str = "en") -> str:
    """The whole style document QGIS imports for a layer of ``kind``."""
    return ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
            f'<qgis version="{QGIS_VERSION}" styleCategories="AllStyleCategories">'
            f"{renderer(kind, language)}{field_configuration(kind, language)}{aliases(kind, language)}"
            f"{constraints(kind)}{editable(kind)}</qgis>")
