"""``citypilot import`` and ``citypilot export``: survey files in, asset files out."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from app.cli.context import actor_id, engine, user_option


def register(cli: click.Group) -> None:
    cli.add_command(import_cmd)
    cli.add_command(export_cmd)


@click.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--kind", "-k", required=True, help="Asset kind of every row (luminaire, pole, cabinet...).")
@click.option("--crs", help="CRS of the coordinates, overriding the file's (EPSG:2154, IGNF:LAMB93, 4326...).")
@click.option("--layer", help="GeoPackage layer (default: the first).")
@click.option("--map", "maps", multiple=True, metavar="SOURCE=TARGET",
              help="Feed a field from a column: a field, parent_code..., attrs.NAME, x/y/wkt (CSV) or - to ignore.")
@click.option("--default", "defaults", multiple=True, metavar="FIELD=VALUE",
              help="Value for a field a row leaves empty (e.g. is_led=no).")
@click.option("--recode", multiple=True, metavar="FIELD:VALUE=NEW",
              help="Rewrite a value before reading it (e.g. is_led:LED=yes, is_led:*=no; case and accents ignored).")
@click.option("--code-template", metavar="PATTERN",
              help="Codes for rows that have none, numbered after the kind's highest (default per kind, "
                   "e.g. LUM-{n:06d}).")
@click.option("--rejects", type=click.Path(path_type=Path),
              help="Where to write rejected rows (default: <file>.rejects.csv beside the file).")
@user_option
@click.option("--dry-run", is_flag=True, help="Check every row and write the rejects file, import nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def import_cmd(
    path: Path, kind: str, crs: str | None, layer: str | None, maps: tuple[str, ...], defaults: tuple[str, ...],
    recode: tuple[str, ...], code_template: str | None, rejects: Path | None, user: str | None, dry_run: bool,
    as_json: bool,
) -> None:
    """Import the features of PATH (GeoJSON, GeoPackage, Shapefile or zipped shapefile, CSV) as assets of one kind.

    Columns are matched to fields by name (case and accents ignored), or with --map; other columns go
    to the free attributes. Bad rows and probable duplicates (points of the kind within 0.5 m of
    another, in the file or already in the inventory; the first of a stack is imported) are listed,
    with their reasons, in the rejects file; the rest is imported in one transaction. Rows without a
    code get one (--code-template); rows lacking what a complete record has (power, LED flag...)
    are imported and listed by `citypilot quality`; French choice words (LANTERNE, projecteur...)
    are understood.
    """
    from assets.io import import_file
    from assets.io.mapping import parse_assignment, parse_recode
    from assets.kinds import spec_for

    spec_for(kind)
    mapping = [parse_assignment(m, "map") for m in maps]
    default_values = dict(parse_assignment(d, "default") for d in defaults)
    recode_table = parse_recode(recode)
    if not path.exists():
        raise _not_found(path)
    actor = actor_id(user)
    with _Bars() as bars:
        report = import_file(
            engine(), path, kind, actor, crs=crs, layer=layer, mapping=mapping, defaults=default_values,
            recode=recode_table, rejects_path=rejects, dry_run=dry_run, progress=bars.update,
            code_template=code_template,
        )
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    else:
        for line in report.lines():
            click.echo(line)


@click.command("export")
@click.option("--kind", "-k", required=True, help="Asset kind to export.")
@click.option("--format", "fmt", type=click.Choice(["geojson", "gpkg", "csv", "shp"]),
              help="File format (default: from the output's suffix, else geojson).")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Output file (default: KIND.FORMAT here).")
@click.option("--status", multiple=True, help="Only these inventory statuses (repeatable).")
@click.option("--commune", multiple=True, help="Only these communes, by INSEE code or name (repeatable).")
@click.option("--bbox", metavar="XMIN,YMIN,XMAX,YMAX", help="Only assets intersecting this box.")
@click.option("--bbox-crs", default="EPSG:4326", show_default=True, help="CRS of --bbox.")
def export_cmd(
    kind: str, fmt: str | None, output: Path | None, status: tuple[str, ...], commune: tuple[str, ...],
    bbox: str | None, bbox_crs: str,
) -> None:
    """Export the assets of one kind: RFC 7946 GeoJSON (WGS84), GeoPackage or Shapefile (Lambert-93),
    or CSV (WKT in Lambert-93 plus lon/lat)."""
    from assets.errors import FieldError, ValidationError
    from assets.io import export
    from assets.kinds import spec_for

    spec_for(kind)
    if output is None:
        fmt = fmt or "geojson"
        output = Path(f"{kind}.{fmt}")
    box = None
    if bbox:
        try:
            box = [float(v) for v in bbox.replace(";", ",").split(",")]
        except ValueError:
            raise ValidationError(FieldError("bbox", f"expected XMIN,YMIN,XMAX,YMAX, got {bbox!r}")) from None
    result = export(
        engine(), kind, output, fmt, status=list(status) or None, commune=list(commune) or None, bbox=box,
        bbox_crs=bbox_crs,
    )
    click.echo(f"exported {result.rows} {kind} to {', '.join(str(p) for p in result.paths)}")


def _not_found(path: Path) -> Exception:
    from assets.io import ImportFileError

    return ImportFileError(f"{path}: no such file")


class _Bars:
    """tqdm progress bars on stderr, one per stage (validating, inserting); quiet when not a terminal."""

    def __enter__(self) -> _Bars:
        self.bars: dict[str, Any] = {}
        return self

    def update(self, stage: str, done: int, total: int) -> None:
        from tqdm import tqdm

        bar = self.bars.get(stage)
        if bar is None:
            for other in self.bars.values():
                other.close()
            bar = self.bars[stage] = tqdm(total=total, desc=stage, unit=" rows", file=sys.stderr, disable=None,
                                          leave=False)
        bar.update(done - bar.n)

    def __exit__(self, *exc: object) -> None:
        for bar in self.bars.values():
            bar.close()
