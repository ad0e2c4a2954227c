"""CityPilot for QGIS: ``logic`` is plain Python (tested without QGIS), ``ui`` the thin QGIS glue."""

from __future__ import annotations

from typing import Any


def classFactory(iface: Any) -> Any:  # the name QGIS looks for
    from .plugin import CityPilotPlugin

    return CityPilotPlugin(iface)
