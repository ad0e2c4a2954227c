"""Finding assets: by box, kind, inventory status, commune and text, one page at a time.

Pages are cut by id (keyset): a page is asked for with the last id of the previous one, so paging
through a large result stays fast and stable while assets are added.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from geoalchemy2 import functions as gf
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from assets.errors import FieldError, ValidationError
from assets.kinds import model_for
from assets.models import INVENTORY_STATUSES, Asset
from assets.territory import commune_codes
from gis.crs import STORAGE_SRID, WGS84_SRID
from gis.names import fold

MAX_LIMIT = 500
DEFAULT_LIMIT = 50
_LIKE_ESCAPES = str.maketrans({"\\": "\\\\", "%": "\\%", "_": "\\_"})


@dataclass(frozen=True)
class AssetQuery:
    """Filters (all optional, combined with AND; values of one filter with OR) and the page wanted.

    ``bbox`` is (min lon, min lat, max lon, max lat) in WGS84; ``communes`` are INSEE codes or names;
    ``text`` is looked for in codes and names. Without ``statuses``, removed assets are left out.
    ``within_kinds`` bounds every answer to the kinds the caller may read.
    """

    kinds: Sequence[str] = ()
    statuses: Sequence[str] = ()
    communes: Sequence[str] = ()
    bbox: Sequence[float] | None = None
    text: str | None = None
    after_id: int | None = None
    limit: int = DEFAULT_LIMIT
    within_kinds: Sequence[str] | None = None  # what the caller may read at all (None: every kind)


@dataclass(frozen=True)
class Page:
    """One page of assets, the number of assets matching in all, and the id to continue after."""

    items: list[Asset]
    total: int
    next_after: int | None


def search_assets(session: Session, query: AssetQuery) -> Page:
    """The page of assets matching ``query``, by id."""
    conditions = _conditions(session, query)
    total = session.execute(select(func.count()).select_from(Asset).where(*conditions)).scalar_one()
    page = select(Asset).where(*conditions).order_by(Asset.id).limit(query.limit + 1)
    if query.after_id is not None:
        page = page.where(Asset.id > query.after_id)
    items = list(session.scalars(page))
    more = len(items) > query.limit
    items = items[: query.limit]
    return Page(items, total, items[-1].id if more else None)


def _conditions(session: Session, query: AssetQuery) -> list:
    errors: list[FieldError] = []
    if not 1 <= query.limit <= MAX_LIMIT:
        errors.append(FieldError("limit", f"must be between 1 and {MAX_LIMIT}"))
    conditions = []
    kinds = []
    for kind in query.kinds:
        try:
            kinds.append(model_for(kind).spec.name)
        except ValidationError as exc:
            errors.extend(exc.errors)
    if kinds:
        conditions.append(Asset.kind.in_(kinds))
    if query.within_kinds is not None:
        conditions.append(Asset.kind.in_(list(query.within_kinds)))
    statuses = [fold(s) for s in query.statuses]
    bad = [s for s in statuses if s not in INVENTORY_STATUSES]
    if bad:
        errors.append(FieldError("status", f"{bad[0]!r} is not one of {', '.join(INVENTORY_STATUSES)}"))
    conditions.append(Asset.status.in_(statuses) if statuses else Asset.status != "removed")
    if query.communes:
        try:
            conditions.append(Asset.commune_insee.in_(commune_codes(session, query.communes)))
        except ValidationError as exc:
            errors.extend(exc.errors)
    if query.bbox is not None:
        box = list(query.bbox)
        if len(box) != 4:
            errors.append(FieldError("bbox", "expected 4 numbers: min lon, min lat, max lon, max lat"))
        elif not (-180 <= box[0] < box[2] <= 180 and -90 <= box[1] < box[3] <= 90):
            errors.append(FieldError("bbox", "expected min lon < max lon and min lat < max lat, in WGS84 degrees"))
        else:
            envelope = gf.ST_Transform(gf.ST_MakeEnvelope(*box, WGS84_SRID), STORAGE_SRID)
            conditions.append(gf.ST_Intersects(Asset.geom, envelope))
    if query.text and query.text.strip():
        pattern = f"%{query.text.strip().translate(_LIKE_ESCAPES)}%"
        conditions.append(or_(Asset.code.ilike(pattern, escape="\\"), Asset.name.ilike(pattern, escape="\\")))
    if errors:
        raise ValidationError(errors)
    return conditions
