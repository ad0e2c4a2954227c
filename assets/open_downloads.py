"""Open-data downloads: each public collection as GeoJSON, GeoPackage and CSV, regenerated on change.

Files live under ``<data folder>/opendata``. A dataset is rewritten when its collection changed since
it was written (asset count or newest change differ from the stamp beside the files), at the first
request after the change; a lock file keeps two workers from writing it at once. Every file carries
the licence (Licence Ouverte 2.0) and the attribution: GeoJSON as top-level members, GeoPackage in
the layer's metadata, CSV in its W3C CSVW metadata (``<name>.csv-metadata.json``). The catalogue is
also given as DCAT-AP (JSON-LD) for the national portals (data.gouv.fr harvests DCAT).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection

from assets.errors import NotFoundError
from assets.io.exporter import export
from assets.kinds_catalogue import attribute_type
from assets.opendata import Collection, collection, collections

LICENCE_NAME = "Licence Ouverte 2.0 (Etalab)"
LICENCE_URL = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
ATTRIBUTION = "Dijon métropole — CityPilot"
PUBLISHER = "Dijon métropole"
FORMATS: dict[str, tuple[str, str]] = {  # format -> (media type, extension)
    "geojson": ("application/geo+json", ".geojson"),
    "gpkg": ("application/geopackage+sqlite3", ".gpkg"),
    "csv": ("text/csv", ".csv"),
}
OPEN_STATUSES = ("planned", "in_service", "out_of_service")


@dataclass
class Dataset:
    """One collection's downloads: what it holds and when it last changed."""

    collection: Collection
    count: int
    changed: dt.datetime | None
    files: dict[str, int] = field(default_factory=dict)  # format -> size in bytes (once written)


def _state(conn: Connection, kind: str) -> tuple[int, dt.datetime | None]:
    row = conn.execute(text("SELECT count(*), max(updated_at) FROM assets WHERE kind = :k AND status <> 'removed'"),
                       {"k": kind}).one()
    return int(row[0]), row[1]


def _stamp(state: tuple[int, dt.datetime | None]) -> dict[str, Any]:
    return {"count": state[0], "changed": state[1].isoformat() if state[1] else None}


def datasets(engine: Engine, folder: Path, include_fibre: bool = False) -> list[Dataset]:
    """The catalogue: every public collection with its count and last change (files as last written)."""
    out = []
    with engine.connect() as conn:
        for found in collections(include_fibre):
            count, changed = _state(conn, found.id)
            sizes = {fmt: p.stat().st_size for fmt, (_, ext) in FORMATS.items()
                     if (p := folder / f"{found.id}{ext}").exists()}
            out.append(Dataset(found, count, changed, sizes))
    return out


def csvw_metadata(found: Collection, url: str) -> dict[str, Any]:
    """The W3C CSVW description of a collection's CSV, with its licence and attribution."""
    datatypes = {"boolean": "boolean", "integer": "integer", "number": "number", "date": "date",
                 "datetime": "datetime"}
    columns = [{"name": f, "titles": f, "datatype": datatypes.get(attribute_type(found.id, f), "string")}
               for f in found.fields]
    columns += [{"name": "lon", "titles": "lon", "datatype": "number"},
                {"name": "lat", "titles": "lat", "datatype": "number"},
                {"name": "wkt", "titles": "wkt", "datatype": "string", "dc:description": "EWKT, Lambert-93"}]
    return {
        "@context": "http://www.w3.org/ns/csvw", "url": url, "dc:title": found.title_fr,
        "dc:license": {"@id": LICENCE_URL}, "dc:publisher": PUBLISHER, "dc:source": ATTRIBUTION,
        "tableSchema": {"columns": columns, "primaryKey": "id"},
    }


def ensure_file(engine: Engine, folder: Path, collection_id: str, fmt: str, include_fibre: bool = False) -> Path:
    """The download of ``collection_id`` in ``fmt``, rewritten first if the collection changed."""
    if fmt not in FORMATS:
        raise NotFoundError(f"no open-data format {fmt!r} (formats: {', '.join(FORMATS)})")
    found = collection(collection_id, include_fibre)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{found.id}{FORMATS[fmt][1]}"
    stamp_path = folder / f"{found.id}.{fmt}.state.json"
    with engine.connect() as conn:
        stamp = _stamp(_state(conn, found.id))
    if path.exists() and stamp_path.exists() and json.loads(stamp_path.read_text()) == stamp:
        return path
    with (folder / f".{found.id}.{fmt}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists() and stamp_path.exists() and json.loads(stamp_path.read_text()) == stamp:
            return path  # another worker wrote it meanwhile
        partial = folder / f".{found.id}.partial{FORMATS[fmt][1]}"
        export(
            engine, found.id, partial, fmt, status=list(OPEN_STATUSES), fields=found.fields,
            members={"name": found.id, "title": found.title_fr, "license": LICENCE_URL, "licence": LICENCE_NAME,
                     "attribution": ATTRIBUTION},
            layer_metadata={"DESCRIPTION": f"{found.title_fr} — {ATTRIBUTION}", "LICENSE": LICENCE_URL,
                            "ATTRIBUTION": ATTRIBUTION},
        )
        partial.replace(path)
        stamp_path.write_text(json.dumps(stamp))
    return path


def dcat_catalogue(items: list[Dataset], base_url: str, title: str) -> dict[str, Any]:
    """The catalogue as DCAT-AP (JSON-LD): one dataset per collection, one distribution per format."""
    def dataset(item: Dataset) -> dict[str, Any]:
        found = item.collection
        return {
            "@id": f"{base_url}/open-data#{found.id}", "@type": "dcat:Dataset",
            "dct:identifier": found.id, "dct:title": [{"@language": "fr", "@value": found.title_fr},
                                                      {"@language": "en", "@value": found.title_en}],
            "dct:publisher": {"@type": "foaf:Organization", "foaf:name": PUBLISHER},
            "dct:license": {"@id": LICENCE_URL}, "dct:modified": item.changed.isoformat() if item.changed else None,
            "dcat:keyword": ["éclairage public", "ville connectée", found.id],
            "dcat:distribution": [
                {"@type": "dcat:Distribution", "dcat:downloadURL": {"@id": f"{base_url}/open-data/{found.id}{ext}"},
                 "dcat:mediaType": media, "dct:format": fmt, "dct:license": {"@id": LICENCE_URL}}
                for fmt, (media, ext) in FORMATS.items()
            ] + [{"@type": "dcat:Distribution", "dcat:accessURL": {"@id": f"{base_url}/ogc/collections/{found.id}"},
                  "dct:format": "OGC API - Features", "dct:license": {"@id": LICENCE_URL}}],
        }

    return {
        "@context": {"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/",
                     "foaf": "http://xmlns.com/foaf/0.1/"},
        "@id": f"{base_url}/open-data/catalog.jsonld", "@type": "dcat:Catalog", "dct:title": title,
        "dct:publisher": {"@type": "foaf:Organization", "foaf:name": PUBLISHER},
        "dct:license": {"@id": LICENCE_URL}, "dcat:dataset": [dataset(i) for i in items],
    }
