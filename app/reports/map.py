"""The map of savings per cabinet (folium) with Leaflet inlined from the project's vendored files: no CDN,
no tiles from elsewhere — the report opens offline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import folium

from app.reports.figures import commune_name
from app.reports.texts import pct, tr

VENDOR = Path(__file__).resolve().parents[1] / "web" / "static" / "vendor" / "leaflet"
DIJON = (47.322, 5.0415)


def _colour(savings: float | None) -> str:
    if savings is None:
        return "#9e9e9e"
    return "#2e7d32" if savings >= 0.65 else "#f9a825" if savings >= 0.5 else "#c62828"


def savings_map(data: dict[str, Any], lang: str) -> str:
    """An HTML fragment (a div and its script) of the cabinets coloured by savings, Leaflet inlined."""
    fmap = folium.Map(location=DIJON, zoom_start=12, tiles=None, width="100%", height=420)
    fmap.default_js, fmap.default_css = [], []  # Leaflet comes inlined below, not from a CDN
    for c in data["cabinets"]:
        if c["lat"] is None:
            continue
        folium.CircleMarker((c["lat"], c["lon"]), radius=5, color=_colour(c["savings"]), fill=True,
                            fill_opacity=0.8, weight=1,
                            tooltip=f"{c['code']} ({commune_name(data, c['commune'])}) {tr('savings', lang)} "
                                    f"{pct(c['savings'])} — {tr(c['method'], lang)}").add_to(fmap)
    points = [(c["lat"], c["lon"]) for c in data["cabinets"] if c["lat"] is not None]
    if points:
        fmap.fit_bounds([[min(p[0] for p in points), min(p[1] for p in points)],
                         [max(p[0] for p in points), max(p[1] for p in points)]])
    root = fmap.get_root()
    root.render()
    html = root.header.render() + root.html.render() + "<script>" + root.script.render() + "</script>"
    css, js = (VENDOR / "leaflet.css").read_text(), (VENDOR / "leaflet.js").read_text()
    leaflet = f"<style>{css}</style><script>{js}</script>"
    return leaflet + html
