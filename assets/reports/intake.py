"""A citizen's report becomes one record tied to the likeliest asset and to what its device says.

The report is snapped to the nearest asset of the service's kinds within :data:`SNAP_M` metres
(PostGIS nearest-neighbour); the asset's live state is read: a lamp reported out whose controller
says ``fault`` starts with that evidence; one whose controller says ``ok`` is flagged for an
operator (and a photo asked). A second open report on the same asset is merged with the first
(``duplicate_of``). Who reported is kept for the city, never published.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session

from assets.errors import FieldError, NotFoundError, PermissionDenied, ValidationError
from assets.reports.services import SNAP_M, Service, service

MAX_TEXT = 4000
PARIS = ZoneInfo("Europe/Paris")


@dataclass(frozen=True)
class Submitted:
    """What the reporter is told."""

    id: int
    notice_en: str
    notice_fr: str
    asset_code: str | None
    duplicate_of: int | None
    flagged: bool


def create_client(session: Session, name: str) -> str:
    """Register an app; returns its API key (shown once; only its digest is stored)."""
    if not name.strip():
        raise ValidationError(FieldError("name", "missing: name the app"))
    key = "o311_" + secrets.token_urlsafe(24)
    taken = session.execute(text("SELECT 1 FROM report_clients WHERE name = :n"), {"n": name.strip()}).first()
    if taken:
        raise ValidationError(FieldError("name", f"an app named {name.strip()!r} is already registered"))
    session.execute(text("INSERT INTO report_clients (name, key_sha256) VALUES (:n, :k)"),
                    {"n": name.strip(), "k": _digest(key)})
    return key


def client_of(session: Session, api_key: str | None) -> int:
    """The registered app holding ``api_key``; PermissionDenied otherwise."""
    if not api_key:
        raise ValidationError(FieldError("api_key", "missing: a registered app's key is needed to post a report"))
    row = session.execute(text("SELECT id FROM report_clients WHERE key_sha256 = :k AND NOT disabled"),
                          {"k": _digest(api_key)}).first()
    if row is None:
        raise PermissionDenied("api_key: unknown or disabled key")
    return int(row.id)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _text(errors: list[FieldError], name: str, value: Any) -> str | None:
    if value is None or not str(value).strip():
        return None
    value = str(value).strip()
    if len(value) > MAX_TEXT:
        errors.append(FieldError(name, f"longer than {MAX_TEXT} characters"))
    return value


def submit(
    session: Session, client_id: int, service_code: str, *, lat: Any, lon: Any, description: Any = None,
    address: Any = None, media_url: Any = None, email: Any = None, first_name: Any = None, last_name: Any = None,
    phone: Any = None, lang: str | None = None,
) -> Submitted:
    """Record a report; ValidationError naming each field that cannot be used."""
    errors: list[FieldError] = []
    try:
        found = service(service_code)
    except ValidationError as exc:
        errors.extend(exc.errors)
        found = None
    point = _point(errors, lat, lon)
    values = {name: _text(errors, name, value) for name, value in (
        ("description", description), ("address", address), ("media_url", media_url), ("email", email),
        ("first_name", first_name), ("last_name", last_name), ("phone", phone))}
    if values["media_url"] and not values["media_url"].startswith(("https://", "http://")):
        errors.append(FieldError("media_url", "expected an http(s) address"))
    if point is not None and not _inside(session, point):
        errors.append(FieldError("lat", "the place is outside the metropole"))
    if errors or found is None or point is None:
        raise ValidationError(errors)
    asset = _snap(session, found, point)
    evidence, flagged = _evidence(session, found, asset)
    duplicate_of = None
    if asset is not None:
        row = session.execute(text(
            "SELECT coalesce(duplicate_of, id) FROM citizen_reports WHERE asset_id = :a AND status = 'open' "
            "ORDER BY id LIMIT 1"), {"a": asset["id"]}).first()
        duplicate_of = int(row[0]) if row else None
    report_id = session.execute(text(
        "INSERT INTO citizen_reports (service_code, description, address, geom, asset_id, snap_m, duplicate_of, "
        " evidence, flagged, media_url, email, first_name, last_name, phone, client_id, lang) "
        "VALUES (:code, :description, :address, ST_Transform(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), 2154), "
        " :asset, :snap, :dup, CAST(:evidence AS jsonb), :flagged, :media_url, :email, :first_name, :last_name, "
        " :phone, :client, :lang) RETURNING id"),
        {**values, "code": found.code, "lon": point[0], "lat": point[1], "asset": asset and asset["id"],
         "snap": asset and asset["distance"], "dup": duplicate_of, "evidence": _json(evidence), "flagged": flagged,
         "client": client_id, "lang": lang},
    ).scalar_one()
    en, fr = _notice(asset, evidence, flagged, duplicate_of)
    return Submitted(int(report_id), en, fr, asset and asset["code"], duplicate_of, flagged)


def _json(value: Any) -> str:
    return json.dumps(value, default=str)


def _point(errors: list[FieldError], lat: Any, lon: Any) -> tuple[float, float] | None:
    if lat in (None, "") or lon in (None, ""):
        errors.append(FieldError("lat", "missing: give lat and long (WGS84) of the place"))
        return None
    try:
        la, lo = float(lat), float(lon)
    except (TypeError, ValueError):
        errors.append(FieldError("lat", f"lat {str(lat)[:20]!r} / long {str(lon)[:20]!r} are not numbers"))
        return None
    if not (-90 <= la <= 90 and -180 <= lo <= 180):
        errors.append(FieldError("lat", "lat must be within -90..90 and long within -180..180"))
        return None
    return lo, la


def _inside(session: Session, point: tuple[float, float]) -> bool:
    return bool(session.execute(text(
        "SELECT EXISTS (SELECT 1 FROM communes WHERE valid_to IS NULL AND ST_DWithin(geom, "
        "ST_Transform(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), 2154), 500))"),
        {"lon": point[0], "lat": point[1]}).scalar_one())


def _snap(session: Session, found: Service, point: tuple[float, float]) -> dict[str, Any] | None:
    row = session.execute(text(
        "WITH p AS (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), 2154) AS g) "
        "SELECT a.id, a.code, a.kind, ST_Distance(a.geom, p.g) AS distance FROM assets a, p "
        "WHERE a.kind = ANY(:kinds) AND a.status <> 'removed' ORDER BY a.geom <-> p.g LIMIT 1"),
        {"lon": point[0], "lat": point[1], "kinds": list(found.kinds)}).mappings().first()
    if row is None or row["distance"] > SNAP_M:
        return None
    return {"id": row["id"], "code": row["code"], "kind": row["kind"], "distance": round(float(row["distance"]), 1)}


def _evidence(session: Session, found: Service, asset: dict[str, Any] | None) -> tuple[dict[str, Any], bool]:
    if asset is None:
        return {}, False
    row = session.execute(text("SELECT state, state_since, last_seen FROM live_state WHERE asset_id = :a"),
                          {"a": asset["id"]}).mappings().first()
    if row is None or row["state"] == "unknown":
        return {"device": "unknown"}, False
    evidence = {"device": row["state"], "since": row["state_since"].isoformat(),
                "last_seen": row["last_seen"].isoformat()}
    flagged = found.device_confirms and row["state"] == "ok"
    evidence["confirms"] = found.device_confirms and row["state"] == "fault"
    return evidence, flagged


def _notice(asset: dict[str, Any] | None, evidence: dict[str, Any], flagged: bool,
            duplicate_of: int | None) -> tuple[str, str]:
    if asset is None:
        return ("Thank you: your report will be looked at (no equipment found right there).",
                "Merci : votre signalement sera examiné (aucun équipement trouvé à cet endroit).")
    code = asset["code"]
    en, fr = f"Thank you: {code} is concerned.", f"Merci : l'équipement {code} est concerné."
    if evidence.get("confirms"):
        since = dt.datetime.fromisoformat(evidence["since"]).astimezone(PARIS).strftime("%H:%M")
        en += f" Its controller has said fault since {since}."
        fr += f" Son contrôleur signale une panne depuis {since}."
    elif flagged:
        en += " Its controller says it works: an operator will check; a photo helps."
        fr += " Son contrôleur indique qu'il fonctionne : un opérateur va vérifier ; une photo aide."
    if duplicate_of:
        en += f" It was already reported (request {duplicate_of})."
        fr += f" Il a déjà été signalé (demande {duplicate_of})."
    return en, fr


def find_reports(
    session: Session, *, ids: Sequence[int] = (), service_codes: Sequence[str] = (), statuses: Sequence[str] = (),
    start: dt.datetime | None = None, end: dt.datetime | None = None, limit: int = 1000,
) -> list[dict[str, Any]]:
    """Reports as the public may see them (no reporter identity), newest first."""
    where, params = ["true"], {"limit": limit}
    if ids:
        where.append("r.id = ANY(:ids)")
        params["ids"] = list(ids)
    else:
        end = end or dt.datetime.now(dt.UTC)
        start = start or end - dt.timedelta(days=90)
        if end - start > dt.timedelta(days=90):
            raise ValidationError(FieldError("start_date", "start_date and end_date may not span more than 90 days"))
        where += ["r.requested_at >= :start", "r.requested_at <= :end"]
        params.update(start=start, end=end)
        if service_codes:
            for code in service_codes:
                service(code)
            where.append("r.service_code = ANY(:codes)")
            params["codes"] = list(service_codes)
        if statuses:
            bad = [s for s in statuses if s not in ("open", "closed")]
            if bad:
                raise ValidationError(FieldError("status", f"{bad[0]!r} is not one of open, closed"))
            where.append("r.status = ANY(:statuses)")
            params["statuses"] = list(statuses)
    rows = session.execute(text(
        "SELECT r.id, r.service_code, r.status, r.status_notes, r.description, r.address, r.media_url, "
        " r.requested_at, r.updated_at, a.code AS asset_code, r.duplicate_of, "
        " ST_Y(ST_Transform(r.geom, 4326)) AS lat, ST_X(ST_Transform(r.geom, 4326)) AS lon "
        "FROM citizen_reports r LEFT JOIN assets a ON a.id = r.asset_id "
        f"WHERE {' AND '.join(where)} ORDER BY r.id DESC LIMIT :limit"), params).mappings().all()
    return [dict(r) for r in rows]


def report(session: Session, report_id: int) -> dict[str, Any]:
    """One report as the public may see it; NotFoundError otherwise."""
    found = find_reports(session, ids=[report_id])
    if not found:
        raise NotFoundError(f"no service request {report_id}")
    return found[0]
