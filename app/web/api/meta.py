"""``/me`` (who am I) and ``/kinds`` (what the inventory holds and which fields each kind has)."""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale
from werkzeug.wrappers import Response

from app.web.api import schemas as s
from app.web.api.blueprint import bp
from app.web.api.http import respond
from app.web.auth.guard import csrf_token, current_identity
from app.web.auth.roles import SIGNED_IN, requires
from app.web.openapi import Reply, operation
from assets.fields import editable_fields
from assets.kinds import spec_for
from assets.kinds_catalogue import catalogue


@bp.get("/me")
@requires(*SIGNED_IN)
@operation(
    "The signed-in user",
    tags=["meta"],
    description="With the session cookie, `csrf_token` is the value to send as X-CSRF-Token on unsafe methods.",
    responses={200: Reply(s.ME, "Who you are and how you are signed in")},
)
def me() -> Response:
    who = current_identity()
    body: dict[str, Any] = {"id": who.user_id, "name": who.name, "full_name": who.full_name, "role": who.role,
                            "via": who.via}
    if who.via == "session":
        body["csrf_token"] = csrf_token()
    return respond(body)


@bp.get("/kinds")
@requires(*SIGNED_IN)
@operation(
    "Asset kinds: every fact of each kind and its settable attributes",
    tags=["meta"],
    description="Per kind: labels (in the caller's language, and in English and French), geometry types, "
    "`required` (cannot exist without) and `complete` (a complete record has) attributes, parents, `transport` "
    "(how its devices talk; null: passive), `report_interval_s`, `tile_layer`, `min_zoom`, the map `style`, "
    "and `attributes` (type, unit, labels, choices with English and French labels, limits, referenced kinds).",
    responses={200: Reply(s.KINDS, "Every kind, in the canonical order")},
)
def kinds() -> Response:
    lang = "fr" if str(get_locale()) == "fr" else "en"
    items = []
    for described in catalogue():
        spec = spec_for(described["name"])
        items.append({
            **described, "label": described["labels"][lang], "label_en": spec.label_en, "label_fr": spec.label_fr,
            "choices": {k: list(v) for k, v in spec.choices.items()}, "fields": list(editable_fields(spec.name)),
        })
    return respond({"items": items})
