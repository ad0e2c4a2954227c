"""The open-data pages in a real browser, signed out: the catalogue's map preview draws a collection,
the OGC items page draws its features, in French; nothing inline is refused, nothing foreign is asked."""

from __future__ import annotations


def test_catalogue_preview_and_items_map(page, server: str, errors: list[str]) -> None:
    page.goto(f"{server}/open-data")
    assert page.locator("h1").inner_text() == "Données ouvertes"  # the browser asks for French
    page.wait_for_function("() => document.querySelectorAll('#preview path.leaflet-interactive').length > 100",
                           timeout=20_000)  # the first collection (cabinets) drawn
    page.click("[data-preview=luminaire]")
    page.wait_for_function("() => document.querySelectorAll('#preview path.leaflet-interactive').length >= 2000",
                           timeout=20_000)
    page.goto(f"{server}/ogc/collections/luminaire/items?f=html&limit=50")
    page.wait_for_function("() => document.querySelectorAll('#ogc-map path.leaflet-interactive').length === 50",
                           timeout=20_000)
    assert page.locator("table.list tbody tr").count() == 50
    assert errors == []
