"""The plugin's own logic: typed, plain Python (no QGIS, no Qt), tested without QGIS."""
