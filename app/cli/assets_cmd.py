"""``citypilot asset ...``: read and edit single assets through the same write path as every client."""

from __future__ import annotations

import json
from typing import Any

import click
import shapely
from shapely.geometry import Point

from app.cli.context import actor_id, engine, user_option
from assets.db import unit_of_work
from assets.errors import FieldError, ValidationError
from assets.models import Asset
from assets.serialize import asset_dict, history_dict
from assets.store import create_asset, find_asset, get_asset, history, retire_asset, update_asset
from assets.topology import feeds
from gis.crs import to_storage
from gis.geometry import reproject


def _resolve(session: Any, ref: str) -> Asset:
    """``123`` (an id) or ``KIND:CODE``."""
    if ref.isdigit():
        return get_asset(session, int(ref))
    if ":" in ref:
        kind, code = ref.split(":", 1)
        return find_asset(session, kind, code)
    raise ValidationError(FieldError("asset", f"{ref!r}: give an id (123) or KIND:CODE (luminaire:LUM-000001)"))


def _pairs(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for item in values:
        if "=" not in item:
            raise ValidationError(FieldError("--set", f"{item!r}: expected field=value"))
        key, value = item.split("=", 1)
        out[key.strip()] = value
    return out


def _geometry(at: str | None, wkt: str | None, crs: str) -> dict[str, Any]:
    if at and wkt:
        raise ValidationError(FieldError("geom", "give either --at or --wkt, not both"))
    if at:
        try:
            x, y = (float(v) for v in at.split(","))
        except ValueError:
            raise ValidationError(FieldError("--at", f"{at!r}: expected X,Y such as 5.0415,47.3220")) from None
        shape = Point(x, y)
    elif wkt:
        try:
            shape = shapely.from_wkt(wkt)
        except shapely.errors.GEOSException as exc:
            raise ValidationError(FieldError("--wkt", f"unreadable WKT ({exc})")) from None
    else:
        return {}
    return {"geom": reproject(shape, to_storage(crs)) if crs not in ("EPSG:2154", "2154") else shape}


def _echo(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


geometry_options = [
    click.option("--at", default=None, metavar="X,Y", help="Point position (lon,lat in WGS84 by default)."),
    click.option("--wkt", default=None, help="Geometry as WKT (lines, polygons)."),
    click.option("--crs", default="EPSG:4326", show_default=True, help="CRS of --at / --wkt."),
]


def _with_geometry_options(fn: Any) -> Any:
    for option in reversed(geometry_options):
        fn = option(fn)
    return fn


@click.group("asset")
def asset_group() -> None:
    """Show, create, edit and retire single assets."""


@asset_group.command("show")
@click.argument("ref")
def show_cmd(ref: str) -> None:
    """Print asset REF (id or KIND:CODE) as JSON."""
    with unit_of_work(engine(), None) as session:
        _echo(asset_dict(_resolve(session, ref)))


@asset_group.command("create")
@click.argument("kind")
@click.option("--code", required=True, help="The tag on the equipment, unique per kind.")
@click.option("--set", "sets", multiple=True, metavar="FIELD=VALUE", help="An attribute (repeatable).")
@_with_geometry_options
@user_option
def create_cmd(kind: str, code: str, sets: tuple[str, ...], at: str | None, wkt: str | None, crs: str,
               user: str | None) -> None:
    """Create an asset of KIND."""
    actor = actor_id(user)
    values = {"code": code, **_pairs(sets), **_geometry(at, wkt, crs)}
    with unit_of_work(engine(), actor) as session:
        asset = create_asset(session, kind, values)
        click.echo(f"created {kind} {asset.code} (id {asset.id}, version {asset.version})")


@asset_group.command("update")
@click.argument("ref")
@click.option("--version", "expected", type=int, required=True, help="The version you edited (conflict check).")
@click.option("--set", "sets", multiple=True, metavar="FIELD=VALUE", help="A new value (repeatable; empty clears).")
@_with_geometry_options
@user_option
def update_cmd(ref: str, expected: int, sets: tuple[str, ...], at: str | None, wkt: str | None, crs: str,
               user: str | None) -> None:
    """Change asset REF if nobody changed it since VERSION."""
    actor = actor_id(user)
    changes = {**_pairs(sets), **_geometry(at, wkt, crs)}
    if not changes:
        raise ValidationError(FieldError("--set", "nothing to change"))
    with unit_of_work(engine(), actor) as session:
        asset = update_asset(session, _resolve(session, ref).id, changes, expected)
        click.echo(f"updated {asset.kind} {asset.code} (version {asset.version})")


@asset_group.command("retire")
@click.argument("ref")
@click.option("--version", "expected", type=int, default=None, help="The version you saw (conflict check).")
@user_option
def retire_cmd(ref: str, expected: int | None, user: str | None) -> None:
    """Mark asset REF as removed; it keeps its history."""
    actor = actor_id(user)
    with unit_of_work(engine(), actor) as session:
        asset = retire_asset(session, _resolve(session, ref).id, expected)
        click.echo(f"retired {asset.kind} {asset.code} (version {asset.version})")


@asset_group.command("history")
@click.argument("ref")
def history_cmd(ref: str) -> None:
    """Every change of asset REF: who, when, what."""
    with unit_of_work(engine(), None) as session:
        entries = [history_dict(h) for h in history(session, _resolve(session, ref).id)]
    for e in entries:
        changed = ", ".join(e["changed"] or []) if e["action"] != "insert" else ""
        click.echo(f"{e['at']}  {e['action']:<7} {e['actor']:<12} {changed}")


@asset_group.command("feeds")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def feeds_cmd(ref: str, as_json: bool) -> None:
    """What asset REF feeds: everything below it, or what a fibre failure there cuts off."""
    with unit_of_work(engine(), None) as session:
        affected = feeds(session, _resolve(session, ref).id)
    if as_json:
        _echo([a.__dict__ for a in affected])
        return
    for a in affected:
        click.echo(f"{'  ' * max(a.depth - 1, 0)}{a.kind} {a.code} (id {a.id})")
    click.echo(f"{len(affected)} assets")


def register(cli: click.Group) -> None:
    cli.add_command(asset_group)
