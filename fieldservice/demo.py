"""The demo's field service: an example SLA policy set, crews at the demo city's depots (members with the
crew role, vehicles, skills, clearances, shifts and an on-call rota), maintenance plans, and a month and a
half of open and closed orders on real assets, so every page and figure has data (``citypilot demo
fieldservice``, run by ``make demo``). Deterministic for a seed; loading twice changes nothing.

The policies are an **example** (delays of the kind a French public-lighting and traffic-signal contract
sets), not the Dijon contract's figures: replace them with your contract's.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from assets.demo.accounts import ensure_demo_accounts
from assets.users import create_user
from fieldservice import crews, escalation, orders, recurrence, sla
from fieldservice.models import Crew, SlaPolicy

PAUSES = ["road_permit", "supplier", "police", "access_refused"]
# category: {priority: (calendar, response, make safe, resolution minutes)}; business = Mon–Fri 08:00–18:00.
EXAMPLE_POLICIES: dict[str, dict[str, tuple[str, int | None, int | None, int | None]]] = {
    "lighting": {"urgent": ("calendar", 120, 240, 480), "high": ("calendar", 240, None, 1440),
                 "normal": ("business", 600, None, 1800), "low": ("business", None, None, 6000)},
    "signals": {"urgent": ("calendar", 60, 120, 240), "high": ("calendar", 120, None, 480),
                "normal": ("business", 600, None, 1800), "low": ("business", None, None, 6000)},
    "video": {"urgent": ("calendar", 240, None, 1440), "high": ("calendar", 480, None, 2880),
              "normal": ("business", 1200, None, 3000), "low": ("business", None, None, 6000)},
    "fibre": {"urgent": ("calendar", 120, 240, 480), "high": ("calendar", 240, None, 1440),
              "normal": ("business", 600, None, 3000), "low": ("business", None, None, 6000)},
    "buildings": {"urgent": ("calendar", 120, 240, 720), "high": ("calendar", 480, None, 2880),
                  "normal": ("business", 1200, None, 6000), "low": ("business", None, None, 12000)},
}
# priority: (fixed, per started hour late, cap) in euros.
PENALTIES = {"urgent": ("150", "50", "1000"), "high": ("100", "25", "500"), "normal": ("50", "10", "300"),
             "low": ("20", "5", "100")}


@dataclass(frozen=True)
class DemoCrew:
    """One demo crew: name, skills, depot, members (user name, full name, clearances), on call or days."""

    name: str
    skills: tuple[str, ...]
    depot: str
    members: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...]
    on_call: bool = False


_LV = (("BR", "2028-03-31"), ("B2V", "2028-03-31"), ("H0V", "2027-09-30"))
DEMO_CREWS = (
    DemoCrew("Éclairage Centre 1", ("lighting",), "Centre technique municipal",
             (("demo-crew", "Camille Technicienne", _LV), ("tech-lmartin", "Lucas Martin", _LV))),
    DemoCrew("Éclairage Centre 2", ("lighting", "buildings"), "Centre technique municipal",
             (("tech-edurand", "Emma Durand", _LV), ("tech-hbernard", "Hugo Bernard", (("BR", "2027-06-30"),)))),
    DemoCrew("Éclairage Nord", ("lighting",), "Dépôt nord Toison d'Or",
             (("tech-lpetit", "Léa Petit", _LV), ("tech-nrobert", "Nathan Robert", (("B1V", "2027-12-31"),)))),
    DemoCrew("Éclairage Chenôve", ("lighting",), "Centre technique de Chenôve",
             (("tech-cmoreau", "Chloé Moreau", _LV), ("tech-tsimon", "Théo Simon", (("BR", "2026-05-31"),)))),
    DemoCrew("Éclairage Longvic", ("lighting", "signals"), "Dépôt de Longvic",
             (("tech-mlaurent", "Manon Laurent", _LV), ("tech-glefebvre", "Gabriel Lefebvre", _LV))),
    DemoCrew("Éclairage Quetigny", ("lighting",), "Dépôt de Quetigny",
             (("tech-jmichel", "Jade Michel", _LV), ("tech-rgarcia", "Raphaël Garcia", (("H0V", "2027-01-31"),)))),
    DemoCrew("Signalisation Centre", ("signals",), "Centre technique municipal",
             (("tech-idavid", "Inès David", _LV), ("tech-lbertrand", "Louis Bertrand", _LV))),
    DemoCrew("Signalisation Est", ("signals", "lighting"), "Dépôt de Quetigny",
             (("tech-aroux", "Alice Roux", _LV), ("tech-avincent", "Arthur Vincent", (("BR", "2028-01-31"),)))),
    DemoCrew("Vidéoprotection", ("video",), "Dépôt nord Toison d'Or",
             (("tech-lfournier", "Lina Fournier", (("B1V", "2027-11-30"), ("BR", "2027-11-30"))),
              ("tech-jmorel", "Jules Morel", (("B1V", "2026-06-30"),)))),  # expired: Lina holds it
    DemoCrew("Fibre optique", ("fibre",), "Centre technique municipal",
             (("tech-egirard", "Eva Girard", (("B0", "2028-06-30"), ("H0", "2028-06-30"))),
              ("tech-aandre", "Adam André", (("B0", "2027-02-28"),)))),
    DemoCrew("Bâtiments", ("buildings",), "Centre technique de Chenôve",
             (("tech-rlefevre", "Rose Lefèvre", _LV), ("tech-pmercier", "Paul Mercier", _LV))),
    DemoCrew("Astreinte éclairage et feux", ("lighting", "signals"), "Centre technique municipal",
             (("tech-sblanc", "Sarah Blanc", _LV), ("tech-mguerin", "Maël Guérin", _LV)), on_call=True),
)
#: Demo plans: name, category, rule, first occurrence (Paris), kind, split, due after (min), priority.
DEMO_PLANS = (
    ("Patrouille de nuit de l'éclairage", "lighting", "FREQ=MONTHLY;BYDAY=1TU", (2026, 1, 6, 21, 0), "luminaire",
     "commune", 8 * 60, "low"),
    ("Nettoyage annuel des caméras", "video", "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=16", (2026, 3, 16, 9, 0), "camera",
     "commune", 30 * 24 * 60, "low"),
    ("Inspection annuelle des armoires", "lighting", "FREQ=YEARLY;BYMONTH=9;BYDAY=2MO", (2026, 9, 14, 8, 0),
     "cabinet", "commune", 60 * 24 * 60, "low"),
    ("Contrôle mensuel des carrefours à feux", "signals", "FREQ=MONTHLY;BYMONTHDAY=15", (2026, 1, 15, 9, 0),
     "signal_controller", "commune", 5 * 24 * 60, "normal"),
)
# category: (asset kind, descriptions in French as an operator types them)
FAULTS = {
    "lighting": ("luminaire", ("Lampadaire éteint", "Lampadaire allumé en journée", "Crosse endommagée",
                               "Câble apparent au pied du mât", "Lanterne qui clignote")),
    "signals": ("signal_head", ("Feu rouge éteint", "Carrefour au clignotant orange", "Bouton piéton hors service")),
    "video": ("camera", ("Caméra hors ligne", "Image floue, dôme à nettoyer", "Caméra orientée vers le ciel")),
    "fibre": ("fibre_node", ("Chambre de tirage ouverte", "Lien coupé après travaux de voirie")),
    "buildings": ("building", ("Éclairage du gymnase en panne", "Porte du local technique forcée")),
}
ORIGINS = ("citizen", "citizen", "inspection", "planner")


@dataclass(frozen=True)
class DemoResult:
    """What the demo's field service load made."""

    loaded: bool
    policies: int = 0
    crews: int = 0
    orders: int = 0
    planned: int = 0
    escalations: int = 0


def _policies(session: Session) -> int:
    made = 0
    for category, by_priority in EXAMPLE_POLICIES.items():
        for priority, (calendar, response, make_safe, resolution) in by_priority.items():
            if orders.policy_for(session, category, priority) is not None:
                continue
            fixed, per_hour, cap = PENALTIES[priority]
            session.add(SlaPolicy(category=category, priority=priority, calendar=calendar, response_min=response,
                                  make_safe_min=make_safe, resolution_min=resolution, pause_reasons=PAUSES,
                                  penalty_fixed=Decimal(fixed), penalty_per_hour=Decimal(per_hour),
                                  penalty_cap=Decimal(cap)))
            made += 1
    session.flush()
    return made


def _user(session: Session, name: str, full_name: str) -> int:
    found = session.execute(text("SELECT id FROM users WHERE name = :n"), {"n": name}).scalar()
    return found if found is not None else create_user(session, name, "crew", full_name).id


def _crews(session: Session) -> dict[str, int]:
    vehicles: dict[str, list[int]] = {}
    for row in session.execute(text("SELECT id, attrs->>'depot' AS depot FROM assets WHERE kind = 'vehicle' "
                                    "AND vehicle_type IN ('van', 'bucket_truck', 'utility') ORDER BY code")):
        vehicles.setdefault(row.depot, []).append(row.id)
    out = {}
    for spec in DEMO_CREWS:
        free = vehicles.get(spec.depot) or [None]
        crew = crews.create_crew(session, spec.name, spec.skills, free.pop(0) if free[0] is not None else None)
        for name, full_name, held in spec.members:
            user_id = _user(session, name, full_name)
            crews.add_member(session, crew.id, user_id)
            for code, expires in held:
                crews.set_clearance(session, user_id, code, dt.date.fromisoformat(expires))
        if spec.on_call:  # nights on weekdays, whole weekends; on-call lines hold on public holidays too
            for weekday in (*range(5), 6):  # Sunday's evening line covers Monday until 07:30
                crews.add_shift(session, crew.id, dt.time(16, 0), dt.time(7, 30), kind="on_call", weekday=weekday)
            for weekday in (5, 6):
                crews.add_shift(session, crew.id, dt.time(0, 0), dt.time(0, 0), kind="on_call", weekday=weekday)
        else:
            for weekday in range(5):
                crews.add_shift(session, crew.id, dt.time(7, 30), dt.time(16, 0), weekday=weekday)
        out[spec.name] = crew.id
    first = out[DEMO_CREWS[1].name]  # an exception: a training day next Wednesday
    today = dt.datetime.now(sla.PARIS).date()
    crews.add_shift(session, first, dt.time(0, 0), dt.time(0, 0), kind="off",
                    day=today + dt.timedelta(days=(2 - today.weekday()) % 7 or 7))
    return out


def _assets(session: Session, kind: str, rng: random.Random, count: int) -> list[int]:
    ids = list(session.execute(text("SELECT id FROM assets WHERE kind = :k AND status = 'in_service' ORDER BY id"),
                               {"k": kind}).scalars())
    return rng.sample(ids, min(count, len(ids)))


def _history(session: Session, order_id: int, crew_id: int, created: dt.datetime, rng: random.Random,
             until: str, late: bool) -> None:
    """Move an order from ``created`` through the work up to ``until`` at plausible times."""
    at = created + dt.timedelta(minutes=rng.randint(3, 25))
    steps = [("assigned", 0), ("en_route", rng.randint(2, 15)), ("on_site", rng.randint(10, 40) + (180 if late else 0)),
             ("made_safe", rng.randint(10, 30)), ("done", rng.randint(30, 150) + (300 if late else 0))]
    for state, minutes in steps:
        at += dt.timedelta(minutes=minutes)
        orders.transition(session, order_id, state, None, crew_id=crew_id if state == "assigned" else None, at=at)
        if state == until:
            return
        if state == "made_safe" and until == "waiting":
            orders.transition(session, order_id, "waiting", None, reason=rng.choice(PAUSES[:2]),
                              at=at + dt.timedelta(minutes=5))
            return


def _orders(session: Session, crew_ids: dict[str, int], now: dt.datetime, rng: random.Random) -> int:
    by_skill: dict[str, list[int]] = {}
    for spec in DEMO_CREWS:
        if not spec.on_call:
            for skill in spec.skills:
                by_skill.setdefault(skill, []).append(crew_ids[spec.name])
    weights = {"lighting": 40, "signals": 12, "video": 8, "fibre": 4, "buildings": 6}
    made = 0
    for category, count in weights.items():
        kind, texts = FAULTS[category]
        for asset_id in _assets(session, kind, rng, count):
            closed = rng.random() < 0.7
            until = "done" if closed else rng.choice(("new", "new", "assigned", "en_route", "on_site", "waiting"))
            if closed:
                age = dt.timedelta(days=rng.uniform(2, 45))
            elif until == "new":
                age = dt.timedelta(minutes=rng.uniform(10, 6 * 60))
            else:
                age = dt.timedelta(minutes=rng.uniform(3 * 60, 2 * 24 * 60))
            created = now - age
            priority = rng.choices(("urgent", "high", "normal", "low"), (2, 3, 4, 1))[0]
            order = orders.create_order(session, origin=rng.choice(ORIGINS), category=category, priority=priority,
                                        asset_ids=[asset_id], description=rng.choice(texts), at=created)
            crew_id = rng.choice(by_skill[category])
            if until != "new":
                _history(session, order.id, crew_id, created, rng, until, late=closed and rng.random() < 0.15)
            if closed and rng.random() < 0.8:
                done_at = session.execute(text("SELECT done_at FROM work_orders WHERE id = :id"),
                                          {"id": order.id}).scalar_one()
                orders.transition(session, order.id, "verified", None, reason="contrôle superviseur",
                                  at=done_at + dt.timedelta(hours=rng.randint(1, 20)))
            made += 1
    return made


def load_demo_fieldservice(session: Session, now: dt.datetime | None = None, seed: int = 11) -> DemoResult:
    """Load the demo's policies, crews, plans and orders (nothing when its crews exist already)."""
    now = sla._aware(now or dt.datetime.now(dt.UTC))
    if session.scalar(select(Crew.id).where(Crew.name == DEMO_CREWS[0].name)) is not None:
        return DemoResult(False)
    ensure_demo_accounts(session)
    rng = random.Random(seed)
    policies = _policies(session)
    crew_ids = _crews(session)
    made = _orders(session, crew_ids, now, rng)
    for name, category, rule, start, kind, split, due_after, priority in DEMO_PLANS:
        if session.scalar(text("SELECT 1 FROM maintenance_plans WHERE name = :n"), {"n": name}) is None:
            recurrence.create_plan(session, name=name, category=category, rrule=rule,
                                   dtstart=dt.datetime(*start, tzinfo=sla.PARIS), asset_kind=kind, split=split,
                                   due_after_min=due_after, priority=priority, at=now)
    planned = recurrence.generate(session, now=now).count
    escalated = len(escalation.escalate(session, now=now))
    return DemoResult(True, policies, len(crew_ids), made, planned, escalated)
