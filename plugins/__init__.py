"""Extension points and the QGIS plugin; they use CityPilot's public API only."""
