"""Import a survey file into the inventory: read, map, coerce, validate, set aside, insert, report.

Every row ends up in exactly one place: imported, rejected (a rule it breaks, named with its field),
or set aside as a probable duplicate (a point within 0.5 m of an earlier row of the file, or of an
existing asset of the same kind; the first of a stack is imported). Rejected rows and duplicates are
written, with their reasons, to the rejects file. The good rows are inserted through the one write
path (:func:`assets.store.bulk_insert`, audited by the database) in one transaction: a database
failure rolls everything back.

A row without a code gets one from the code template (``--code-template``, else the kind's
``LUM-{n:06d}``-style pattern), numbered after the kind's highest code. A missing attribute that a
complete record has (``KindSpec.complete``) never rejects a row: the asset is imported and counted
incomplete. A value of a choice field that names no choice (nor any French word of one) leaves the
field empty, is kept in the free attributes as ``<field>_source`` and is listed in the report.

Rows are numbered from 1 in file order (in a CSV, row N is on line N + 1, after the header).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from assets.db.session import unit_of_work
from assets.errors import CityPilotError, FieldError, ValidationError
from assets.fields import UnknownChoiceError, coerce
from assets.io.codes import CodeTemplate, make_codes
from assets.io.columns import Reference, references
from assets.io.duplicates import Duplicate, find_duplicates
from assets.io.mapping import ColumnPlan, MappingInput, fold, mapping_pairs, plan_columns, reader_columns
from assets.io.rejects import remove_stale_rejects, write_rejects
from assets.io.report import ImportReport, reason_key
from assets.kinds import KindSpec, spec_for
from assets.store import bulk_insert
from assets.validation import Record, check_records
from gis.crs import STORAGE_SRID, CrsError, parse_crs, srid_of
from gis.formats import (
    FormatError,
    VectorData,
    describe_crs,
    looks_projected,
    read_vector,
    transformer_to,
)
from gis.geometry import reproject

CHUNK = 5000
Progress = Callable[[str, int, int], None]  # (stage, done, total)
_SINGLE = {"MultiPoint": "Point", "MultiLineString": "LineString", "MultiPolygon": "Polygon"}


class ImportFileError(CityPilotError):
    """A file that cannot be imported at all (unreadable, no CRS, no geometry...); nothing was written."""


class _DryRun(Exception):
    """Raised inside the unit of work to roll a dry run back."""


def import_file(
    engine: Engine,
    path: str | Path,
    kind: str,
    actor_id: int | None,
    *,
    crs: str | int | None = None,
    layer: str | None = None,
    mapping: MappingInput | None = None,
    defaults: Mapping[str, Any] | None = None,
    recode: Mapping[str, Mapping[str, Any]] | None = None,
    rejects_path: str | Path | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    code_template: str | None = None,
) -> ImportReport:
    """Import the features of ``path`` as assets of ``kind`` on behalf of ``actor_id``.

    ``crs`` overrides the file's CRS; ``mapping`` maps source columns to targets (see
    :mod:`assets.io.mapping`); ``defaults`` fill fields a row leaves empty; ``recode`` rewrites
    values before they are read (``{'is_led': {'LED': 'yes', '*': 'no'}}``). Rejected rows go to
    ``rejects_path`` (default ``<stem>.rejects.csv`` beside the file). ``code_template`` (e.g.
    ``'LUM-{n:06d}'``, default the kind's pattern) makes the codes of rows that have none.
    ``dry_run`` checks everything and writes the rejects file, but no asset. Raises ImportFileError /
    ValidationError when the file or the options cannot be used at all.
    """
    started = time.perf_counter()
    path = Path(path)
    spec = spec_for(kind)
    template = CodeTemplate.parse(code_template or spec.code_template)
    pairs = mapping_pairs(mapping)
    xy, wkt = reader_columns(pairs)
    try:
        data = read_vector(path, layer=layer, crs=crs, xy=xy, wkt=wkt)
    except (FormatError, CrsError) as exc:
        raise ImportFileError(str(exc)) from None
    plan = plan_columns(
        kind, data.columns, pairs, geometry_source=data.geometry_columns, defaults=defaults, recode=recode
    )
    geoms = _storage_geometries(data, spec)
    job = _Import(kind, spec, data, plan, geoms, progress, template)
    rejects = Path(rejects_path) if rejects_path else path.with_name(f"{path.stem}.rejects.csv")
    try:
        with unit_of_work(engine, actor_id) as session:
            job.run(session, rejects, insert=not dry_run)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    except (SQLAlchemyError, psycopg.Error) as exc:
        reason = getattr(exc, "orig", None) or exc
        raise ImportFileError(
            f"the database refused the import, nothing was imported: {str(reason).strip().splitlines()[0]}"
        ) from None
    return ImportReport(
        path=path, kind=kind, format=data.format, layer=data.layer, read=len(data),
        imported=job.imported, rejected=job.rejected, duplicates=len(job.duplicates),
        rejects_path=rejects if job.rejected + len(job.duplicates) else None,
        errors=dict(job.reasons), crs=describe_crs(data.crs), crs_source=data.crs_source,
        seconds=time.perf_counter() - started, dry_run=dry_run, columns=plan.describe(), hints=job.hints(),
        codes_made=len(job.made_codes), code_range=list(dict.fromkeys(job.made_codes[:1] + job.made_codes[-1:])),
        code_template=template.template, incomplete=job.incomplete, missing=dict(job.missing.most_common()),
        unmapped={f: dict(c.most_common()) for f, c in sorted(job.unmapped.items())},
    )


def _storage_geometries(data: VectorData, spec: KindSpec) -> np.ndarray:
    """The file's geometries in Lambert-93, single-part where the kind wants single parts."""
    geoms = data.geometries
    located = np.not_equal(geoms, None)
    if not data.has_geometry and spec.geometry_required:
        raise ImportFileError(
            f"{data.path.name}: no geometry: a CSV needs lon/lat, x/y or WKT columns "
            "(or choose them: --map COLUMN=x --map COLUMN=y, --map COLUMN=wkt)"
        )
    if not located.any():
        return geoms
    if data.crs is None:
        raise ImportFileError(
            f"{data.path.name} does not say its CRS (no .prj, no SRID): pass --crs, e.g. --crs EPSG:2154"
        )
    if data.crs.is_geographic and data.crs_source != "--crs" and looks_projected(geoms):
        raise ImportFileError(
            f"{data.path.name}: the coordinates look projected (metres) but the file says "
            f"{describe_crs(data.crs)}: pass --crs, e.g. --crs EPSG:2154"
        )
    if srid_of(data.crs) != STORAGE_SRID:
        geoms = np.asarray(reproject(geoms, transformer_to(data.crs, STORAGE_SRID)), dtype=object)
    return _single_parts(geoms, spec.geometry_types)


def _single_parts(geoms: np.ndarray, allowed: Sequence[str]) -> np.ndarray:
    """One-part multi-geometries (a MultiPoint of one point) as their single type, if the kind wants it."""
    types = shapely.get_type_id(geoms)
    for multi, single in _SINGLE.items():
        if multi in allowed or single not in allowed:
            continue
        multi_id = shapely.GeometryType[multi.upper()].value
        pick = np.flatnonzero(types == multi_id)
        if len(pick):
            one = shapely.get_num_geometries(geoms[pick]) == 1
            geoms[pick[one]] = shapely.get_geometry(geoms[pick[one]], 0)
    return geoms


@dataclass
class _Cell:
    ok: bool
    value: Any
    unknown_choice: bool = False  # a choice field's value that names no choice


class _Import:
    """One import run: typed records, problems per row, duplicates, then the insert."""

    def __init__(
        self, kind: str, spec: KindSpec, data: VectorData, plan: ColumnPlan, geoms: np.ndarray,
        progress: Progress | None, template: CodeTemplate,
    ) -> None:
        self.kind, self.spec, self.data, self.plan, self.geoms = kind, spec, data, plan, geoms
        self.template = template
        self.progress = progress or (lambda stage, done, total: None)
        n = len(data)
        self.n = n
        self.records: list[Record] = [{} for _ in range(n)]
        self.problems: list[list[FieldError]] = [[] for _ in range(n)]
        self.explained: list[set[str]] = [set() for _ in range(n)]  # fields whose problem is already told
        self.repeats: dict[int, FieldError] = {}  # rows repeating a code (or unique value) of an earlier row
        self.duplicates: dict[int, Duplicate] = {}
        self.reasons: Counter[str] = Counter()
        self.imported = 0
        self.rejected = 0
        self.code_columns = {r.code_column: r for r in references(kind)}
        self.needs_code: set[int] = set()  # rows that get a generated code if they are imported
        self.made_codes: list[str] = []
        self.unmapped: dict[str, Counter[str]] = {}  # field -> value not understood -> imported rows
        self.kept_source: dict[int, dict[str, Any]] = {}  # row -> attrs keeping values not understood
        self.incomplete = 0
        self.missing: Counter[str] = Counter()  # complete-record attribute -> imported rows lacking it

    # -- the steps ------------------------------------------------------------------------------

    def run(self, session: Session, rejects: Path, *, insert: bool) -> None:
        self.progress("validating", 0, self.n)
        self._read_fields()
        self._read_attrs()
        self._read_geometries()
        self._resolve_references(session)
        self._find_repeats()
        self._find_missing_codes()
        self._validate(session)
        self._find_duplicates(session)
        good = self._settle()
        self._give_codes(session, good)
        self._count_incomplete(good)
        if self.rejected or self.duplicates:
            self._write_rejects(rejects)
        else:
            remove_stale_rejects(rejects)
        if insert:
            self._insert(session, good)
        self.imported = len(good)

    def _add(self, i: int, field: str, reason: str) -> None:
        self.problems[i].append(FieldError(field, reason))
        self.explained[i].add(field)

    def _read_fields(self) -> None:
        kind, plan = self.kind, self.plan
        for field, column in plan.fields.items():
            table = plan.recode.get(field)
            default = plan.defaults.get(field)
            cache: dict[tuple[type, Any], _Cell] = {}
            for i, raw in enumerate(self.data.values[column]):
                if raw is None or (isinstance(raw, str) and not raw.strip()):
                    self.records[i][field] = default
                    continue
                key = (type(raw), raw)
                cell = cache.get(key)
                if cell is None:
                    cell = cache[key] = _coerce(kind, field, _plain(raw), table)
                if cell.ok:
                    self.records[i][field] = cell.value
                elif cell.unknown_choice and field not in self.spec.required:
                    self.records[i][field] = None
                    self.kept_source.setdefault(i, {})[f"{field}_source"] = _json_value(raw)
                else:
                    self.records[i][field] = None
                    self._add(i, field, cell.value)
        for field, value in plan.defaults.items():
            if field not in plan.fields and field not in self.code_columns:
                for record in self.records:
                    record[field] = value
        for record in self.records:
            if record.get("status") is None:
                record["status"] = "in_service"

    def _read_attrs(self) -> None:
        json_column = self.plan.attrs_json
        columns = [(key, self.data.values[column]) for key, column in self.plan.attrs.items()]
        for i, record in enumerate(self.records):
            attrs: dict[str, Any] = {}
            if json_column and self.data.values[json_column][i] is not None:
                cell = _coerce(self.kind, "attrs", self.data.values[json_column][i], None)
                if cell.ok:
                    attrs.update(cell.value)
                else:
                    self._add(i, "attrs", cell.value)
            for key, values in columns:
                if values[i] is not None:
                    attrs[key] = _json_value(values[i])
            attrs.update(self.kept_source.get(i, {}))
            record["attrs"] = attrs

    def _read_geometries(self) -> None:
        for i, found in self.data.problems.items():
            for field, reason in found:
                self._add(i, field, reason)
        for i, geom in enumerate(self.geoms):
            self.records[i]["geom"] = geom
        for field, column in self.plan.geometries.items():
            values = _secondary_geometries(self.data.values[column], self.data.crs)
            for i, value in enumerate(values):
                if isinstance(value, str):
                    self.records[i][field] = None
                    self._add(i, field, value)
                else:
                    self.records[i][field] = value

    def _resolve_references(self, session: Session) -> None:
        for id_field, (column, ref) in self.plan.references.items():
            default = self.plan.defaults.get(ref.code_column)
            codes = [_code_text(v) or default for v in self.data.values[column]]
            found = _ids_by_code(session, ref.kinds, {c for c in codes if c})
            for i, code in enumerate(codes):
                if not code:
                    continue
                matches = found.get(code, [])
                if len(matches) == 1:
                    self.records[i][id_field] = matches[0]
                    continue
                self.explained[i].add(id_field)
                what = " or ".join(ref.kinds)
                if matches:
                    self._add(i, ref.code_column, f"{code!r} is the code of several assets ({what})")
                else:
                    self._add(i, ref.code_column, f"no {what} with code {code!r}")
        mapped = {ref.code_column for _, ref in self.plan.references.values()}
        for code_column, default in self.plan.defaults.items():
            if code_column in self.code_columns and code_column not in mapped:
                self._default_reference(session, self.code_columns[code_column], default)

    def _default_reference(self, session: Session, ref: Reference, code: str) -> None:
        matches = _ids_by_code(session, ref.kinds, {code}).get(code, [])
        if len(matches) != 1:
            what = " or ".join(ref.kinds)
            raise ValidationError(FieldError(f"default {ref.code_column}", f"no single {what} with code {code!r}"))
        for record in self.records:
            record[ref.id_field] = matches[0]

    def _find_repeats(self) -> None:
        """A code (or unique value) already on an earlier row: the later row is held back."""
        for field in ("code", *self.spec.unique):
            first: dict[Any, int] = {}
            for i, record in enumerate(self.records):
                value = record.get(field)
                if value is None:
                    continue
                if value in first:
                    self.repeats.setdefault(
                        i, FieldError(field, f"{value!r} is already used by row {first[value] + 1} of the file")
                    )
                    record[field] = None
                    self.explained[i].add(field)
                else:
                    first[value] = i

    def _find_missing_codes(self) -> None:
        """Rows with no code (and no repeated one) get one made, if they are imported."""
        self.needs_code = {
            i for i, r in enumerate(self.records)
            if r.get("code") is None and i not in self.repeats and "code" not in self.explained[i]
        }
        for i in self.needs_code:
            self.explained[i].add("code")

    def _give_codes(self, session: Session, good: list[int]) -> None:
        rows = [i for i in good if i in self.needs_code]
        file_codes = {str(r["code"]) for r in self.records if r.get("code") is not None}
        self.made_codes = make_codes(session, self.kind, self.template, len(rows), file_codes)
        for i, code in zip(rows, self.made_codes, strict=True):
            self.records[i]["code"] = code

    def _count_incomplete(self, good: list[int]) -> None:
        for i in good:
            for key, raw in self.kept_source.get(i, {}).items():
                self.unmapped.setdefault(key.removesuffix("_source"), Counter())[str(raw).strip()] += 1
            lacking = self.spec.missing(self.records[i])
            if lacking:
                self.incomplete += 1
                self.missing.update(lacking)

    def _validate(self, session: Session) -> None:
        for start in range(0, self.n, CHUNK):
            rows = range(start, min(self.n, start + CHUNK))
            errors = check_records(session, self.kind, [self.records[i] for i in rows])
            for i, errs in zip(rows, errors, strict=True):
                self.problems[i].extend(e for e in errs if e.field not in self.explained[i])
            self.progress("validating", rows.stop, self.n)

    def _find_duplicates(self, session: Session) -> None:
        if "Point" not in self.spec.geometry_types:
            return
        rows = np.array(
            [i for i in range(self.n) if not self.problems[i] and _is_point(self.records[i].get("geom"))], dtype=int
        )
        if len(rows) == 0:
            return
        xy = shapely.get_coordinates(np.array([self.records[i]["geom"] for i in rows], dtype=object))
        existing = session.execute(
            text(
                "SELECT id, code, ST_X(geom) AS x, ST_Y(geom) AS y FROM assets "
                " WHERE kind = :kind AND status <> 'removed' AND ST_GeometryType(geom) = 'ST_Point' "
                "   AND geom && ST_Expand(ST_MakeEnvelope(:x0, :y0, :x1, :y1, :srid), :r)"
            ),
            {
                "kind": self.kind, "x0": xy[:, 0].min(), "y0": xy[:, 1].min(), "x1": xy[:, 0].max(),
                "y1": xy[:, 1].max(), "srid": STORAGE_SRID, "r": 1.0,
            },
        ).all()
        self.duplicates = find_duplicates(
            rows, xy,
            existing_ids=np.array([r.id for r in existing], dtype=np.int64),
            existing_codes=[r.code for r in existing],
            existing_xy=np.array([(r.x, r.y) for r in existing], dtype=float).reshape(-1, 2),
            cannot_lead=self.repeats.keys(),
            codes={int(i): self.records[i].get("code") for i in rows},
        )

    def _settle(self) -> list[int]:
        """Count each row once: imported, duplicate or rejected; return the rows to insert."""
        good = []
        for i in range(self.n):
            if i in self.duplicates:
                self.reasons[_duplicate_key(self.duplicates[i])] += 1
                continue
            if i in self.repeats:
                self.problems[i].insert(0, self.repeats[i])
            if self.problems[i]:
                self.rejected += 1
                for key in {reason_key(e.field, e.reason) for e in self.problems[i]}:
                    self.reasons[key] += 1
            else:
                good.append(i)
        return good

    def _insert(self, session: Session, good: list[int]) -> None:
        total = len(good)
        self.progress("inserting", 0, total)
        for start in range(0, total, CHUNK):
            chunk = [self.records[i] for i in good[start:start + CHUNK]]
            bulk_insert(session, self.kind, chunk, validate=False)
            self.progress("inserting", min(total, start + CHUNK), total)

    # -- the rejects file -----------------------------------------------------------------------

    def _reason(self, i: int) -> str:
        if i in self.duplicates:
            return _duplicate_reason(self.duplicates[i])
        return "; ".join(f"{self._label(e.field)}: {e.reason}" for e in self.problems[i])

    def _label(self, field: str) -> str:
        column = self.plan.source_of(field)
        return f"{field} ({column})" if column and fold(column) != fold(field) else field

    def _write_rejects(self, path: Path) -> None:
        rows = [i for i in range(self.n) if i in self.duplicates or self.problems[i]]
        try:
            write_rejects(path, self.data, self.geoms, rows, self._reason)
        except OSError as exc:
            raise ImportFileError(f"cannot write the rejects file {path}: {exc.strerror}; use --rejects") from None

    def hints(self) -> list[str]:
        out = []
        for field in self.spec.required:
            if field not in self.plan.fields and field not in self.plan.defaults:
                out.append(
                    f"no column feeds {field} (required for a {self.spec.label_en}): "
                    f"--map COLUMN={field} or --default {field}=VALUE"
                )
        for field in self.spec.complete:
            if field not in self.plan.fields and field not in self.plan.defaults:
                out.append(
                    f"no column feeds {field} (a complete {self.spec.label_en} has it): the records are imported "
                    f"incomplete; --map COLUMN={field} or --default {field}=VALUE fills it"
                )
        outside = sum(1 for p in self.problems if any(e.reason.startswith("outside the territory") for e in p))
        located = sum(1 for g in self.geoms if g is not None)
        if located and outside == located:
            out.append(
                f"every row lies outside the metropole: is the CRS right ({describe_crs(self.data.crs)}, "
                f"from {self.data.crs_source})? --crs sets it"
            )
        return out


# -- helpers --------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """Numbers read as whole floats become ints, so a numeric code reads ``12``, not ``12.0``."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _coerce(kind: str, field: str, raw: Any, table: dict[str, str] | None) -> _Cell:
    if table:
        raw = table.get(fold(str(raw)), table.get("*", raw))
    try:
        return _Cell(True, coerce(kind, field, raw))
    except ValidationError as err:
        return _Cell(False, "; ".join(e.reason for e in err.errors), isinstance(err, UnknownChoiceError))


def _json_value(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return _plain(value)


def _code_text(value: Any) -> str | None:
    if value is None:
        return None
    text_value = str(_plain(value)).strip()
    return text_value or None


def _ids_by_code(session: Session, kinds: Sequence[str], codes: set[str]) -> dict[str, list[int]]:
    if not codes:
        return {}
    found: dict[str, list[int]] = {}
    rows = session.execute(
        text("SELECT code, id FROM assets WHERE kind = ANY(:kinds) AND code = ANY(:codes)"),
        {"kinds": list(kinds), "codes": sorted(codes)},
    )
    for code, asset_id in rows:
        found.setdefault(code, []).append(asset_id)
    return found


def _secondary_geometries(values: list[Any], file_crs: Any) -> list[BaseGeometry | str | None]:
    """Geometries held in a column (``fov``): EWKT, WKT (in the file's CRS) or GeoJSON (in the
    file's CRS). Returns Lambert-93 geometries, None, or a reason string when unreadable."""
    out: list[BaseGeometry | str | None] = []
    for value in values:
        if value is None or not str(value).strip():
            out.append(None)
            continue
        text_value = str(value).strip()
        try:
            source = file_crs
            if text_value.startswith("{"):
                geom = shapely.from_geojson(text_value)
            else:
                prefix, sep, body = text_value.partition(";")
                if sep and prefix.upper().replace(" ", "").startswith("SRID="):
                    source = parse_crs(int(prefix.split("=", 1)[1]))
                    text_value = body
                geom = shapely.from_wkt(text_value)
            geom = shapely.force_2d(geom)
            if source is None:
                raise ValueError("no CRS")
            if srid_of(source) != STORAGE_SRID:
                geom = reproject(geom, transformer_to(source, STORAGE_SRID))
            out.append(geom)
        except Exception as exc:  # shapely raises GEOSException, pyproj CRSError
            out.append(f"cannot read {text_value[:40]!r} ({str(exc).splitlines()[0][:60]})")
    return out


def _is_point(geom: BaseGeometry | None) -> bool:
    return geom is not None and geom.geom_type == "Point"


def _duplicate_reason(dup: Duplicate) -> str:
    code = f" (code {dup.of_code})" if dup.of_code else ""
    what = f"asset {dup.of_asset}{code} already in the inventory" if dup.of_asset else f"row {dup.of_row + 1}{code}"
    return f"geom: probable duplicate of {what}, {dup.distance:.2f} m away"


def _duplicate_key(dup: Duplicate) -> str:
    return "duplicate: of an existing asset" if dup.of_asset else "duplicate: of an earlier row of the file"
