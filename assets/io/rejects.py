"""The rejects file of an import: the rows not imported, as they were read, with their row number and reasons.

Written in the file's own delimiter (a CSV's), with the geometry as EWKT in Lambert-93 for formats that
are not CSV; importing a fixed rejects file again ignores the added columns
(:data:`assets.io.mapping.REJECT_COLUMNS`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from gis.crs import STORAGE_SRID
from gis.formats import CsvWriter, VectorData, ewkt


def write_rejects(path: Path, data: VectorData, geoms: np.ndarray, rows: Sequence[int],
                  reason_of: Callable[[int], str]) -> None:
    """Write ``rows`` (0-based) of ``data`` to ``path``; raises OSError when the file cannot be made."""
    columns = list(data.columns)
    geometry_column = None
    if data.format != "csv":
        geometry_column = _free_name("wkt", columns)
        columns.append(geometry_column)
    header = [*columns, _free_name("source_row", columns), _free_name("reject_reason", columns)]
    texts = ewkt(geoms[list(rows)], STORAGE_SRID, 3) if geometry_column and rows else []
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = CsvWriter(path, header, delimiter=data.delimiter or ",")
    try:
        writer.write(
            [*(data.values[c][i] for c in data.columns), *([texts[k]] if geometry_column else []), i + 1, reason_of(i)]
            for k, i in enumerate(rows)
        )
    finally:
        writer.close()


def remove_stale_rejects(path: Path) -> None:
    """A rejects file left by an earlier run of the same import would mislead: remove it (only if ours)."""
    try:
        with path.open(encoding="utf-8-sig") as f:
            ours = f.readline().rstrip("\r\n").endswith("reject_reason")
    except (OSError, UnicodeDecodeError):
        return
    if ours:
        path.unlink(missing_ok=True)


def _free_name(name: str, taken: Sequence[str]) -> str:
    while name in taken:
        name = "_" + name
    return name
