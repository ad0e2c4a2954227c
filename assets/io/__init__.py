"""Import and export of asset files: GeoJSON, GeoPackage, Shapefile, CSV.

``import_file`` reads a survey, maps its columns, validates every row with the inventory's rules,
sets aside probable duplicates, inserts the good rows through the one write path and reports the
rest in a rejects file; ``export_assets`` writes the assets of a kind to a file that imports back.
"""

from assets.io.exporter import ExportResult, export, export_assets
from assets.io.importer import ImportFileError, import_file
from assets.io.report import ImportReport

__all__ = ["ExportResult", "ImportFileError", "ImportReport", "export", "export_assets", "import_file"]
