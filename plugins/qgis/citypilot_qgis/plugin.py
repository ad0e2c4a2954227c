"""The QGIS side of CityPilot (filled in by the ui package)."""
