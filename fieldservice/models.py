"""Field service tables: crews, members, clearances, shifts and on-call rota, SLA policies,
work orders, their assets and the audit of every transition."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from geoalchemy2 import WKBElement
from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from assets.alarms.models import Alarm  # noqa: F401  (work_orders.alarm_id: the table must be mapped)
from assets.live.models import LiveState
from assets.models.base import Base, geometry_column, utcnow_column
from assets.models.people import User  # noqa: F401  (crew_members.user_id)
from assets.reports.models import CitizenReport  # noqa: F401  (work_order_reports.report_id)
from fieldservice.states import STATES

SKILLS = ("lighting", "signals", "video", "fibre", "buildings")
CLEARANCES = ("B0", "B1", "B1V", "B2", "B2V", "BR", "BC", "BE", "H0", "H0V", "H1", "H1V", "H2", "H2V", "HC", "HE")
ORIGINS = ("alarm", "citizen", "inspection", "planned", "planner")
PRIORITIES = ("urgent", "high", "normal", "low")
CALENDARS = ("calendar", "business")
SHIFT_KINDS = ("shift", "off", "on_call")


def among(column: str, values: tuple[str, ...]) -> str:
    """A CHECK expression: ``column`` is one of ``values``."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Crew(Base):
    """A field crew: its skills and its vehicle (a vehicle asset with a tracker)."""

    __tablename__ = "crews"
    __table_args__ = (Index("ix_crews_vehicle_id", "vehicle_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    skills: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False, server_default="{}")
    vehicle_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("assets.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = utcnow_column(nullable=False)


class CrewMember(Base):
    """A user (role crew) in a crew."""

    __tablename__ = "crew_members"
    crew_id: Mapped[int] = mapped_column(Integer, ForeignKey("crews.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)


class Clearance(Base):
    """An electrical clearance (NF C 18-510) held by a crew member, valid until ``expires_on``."""

    __tablename__ = "clearances"
    __table_args__ = (CheckConstraint(among("code", CLEARANCES), name="code"),)
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(Text, primary_key=True)
    expires_on: Mapped[dt.date] = mapped_column(Date, nullable=False)


class CrewShift(Base):
    """One line of a crew's calendar: a weekly shift (``weekday`` 0=Monday), or an exception / on-call
    duty on one ``day``; ``kind`` shift, off (exception: not working) or on_call (astreinte)."""

    __tablename__ = "crew_shifts"
    __table_args__ = (
        CheckConstraint(among("kind", SHIFT_KINDS), name="kind"),
        CheckConstraint("(weekday IS NULL) <> (day IS NULL)", name="weekday_or_day"),
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        Index("ix_crew_shifts_crew_id", "crew_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    crew_id: Mapped[int] = mapped_column(Integer, ForeignKey("crews.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(Text, nullable=False, server_default="shift")
    weekday: Mapped[int | None] = mapped_column(SmallInteger)
    day: Mapped[dt.date | None] = mapped_column(Date)
    starts: Mapped[dt.time] = mapped_column(Time, nullable=False)
    ends: Mapped[dt.time] = mapped_column(Time, nullable=False)


class SlaPolicy(Base):
    """Delays per category and priority: three clocks in minutes, their calendar, the waiting reasons
    that pause them, and the penalty per breach (fixed + per started hour late, capped)."""

    __tablename__ = "sla_policies"
    __table_args__ = (
        CheckConstraint(among("priority", PRIORITIES), name="priority"),
        CheckConstraint(among("calendar", CALENDARS), name="calendar"),
        UniqueConstraint("category", "priority", name="uq_sla_policies_category_priority"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    category: Mapped[str] = mapped_column(Text, nullable=False)
    priority: Mapped[str] = mapped_column(Text, nullable=False)
    calendar: Mapped[str] = mapped_column(Text, nullable=False, server_default="calendar")
    response_min: Mapped[int | None] = mapped_column(Integer)
    make_safe_min: Mapped[int | None] = mapped_column(Integer)
    resolution_min: Mapped[int | None] = mapped_column(Integer)
    pause_reasons: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False, server_default="{}")
    penalty_fixed: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False, server_default="0")
    penalty_per_hour: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False, server_default="0")
    penalty_cap: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    #: Escalate an open order this many minutes before a due time (None: a quarter of the budget, at least 15).
    escalate_before_min: Mapped[int | None] = mapped_column(Integer)


class WorkOrder(Base):
    """One intervention: origin, category, priority, place, crew, state, and its clocks' due times."""

    __tablename__ = "work_orders"
    __table_args__ = (
        CheckConstraint(among("origin", ORIGINS), name="origin"),
        CheckConstraint(among("priority", PRIORITIES), name="priority"),
        CheckConstraint(among("state", STATES), name="state"),
        Index("ix_work_orders_state", "state"),
        Index("ix_work_orders_alarm_id", "alarm_id"),
        Index("ix_work_orders_geom", "geom", postgresql_using="gist"),
        Index("ix_work_orders_resolution_due", "resolution_due"),
        Index("ix_work_orders_crew_id", "crew_id"),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    origin: Mapped[str] = mapped_column(Text, nullable=False)
    alarm_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("alarms.id", ondelete="SET NULL"))
    category: Mapped[str] = mapped_column(Text, nullable=False)
    priority: Mapped[str] = mapped_column(Text, nullable=False, server_default="normal")
    description: Mapped[str | None] = mapped_column(Text)
    geom: Mapped[WKBElement | None] = geometry_column("POINT")
    crew_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("crews.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(Text, nullable=False, server_default="new")
    waiting_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")
    policy_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("sla_policies.id", ondelete="SET NULL"))
    response_due: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    make_safe_due: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    resolution_due: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # When each clock stopped (first arrival on site, first made safe, first done) and where: for KPIs.
    arrived_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    made_safe_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    commune_insee: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(Integer, ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = utcnow_column(nullable=False)
    updated_at: Mapped[dt.datetime] = utcnow_column(nullable=False)


class WorkOrderAsset(Base):
    """An asset a work order is about."""

    __tablename__ = "work_order_assets"
    __table_args__ = (Index("ix_work_order_assets_asset_id", "asset_id"),)
    order_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("work_orders.id", ondelete="CASCADE"),
                                          primary_key=True)
    asset_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True)


class WorkOrderEvent(Base):
    """One transition of a work order: from, to, who, when, where the actor said they were, why."""

    __tablename__ = "work_order_events"
    __table_args__ = (Index("ix_work_order_events_order_id", "order_id", "at"),)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("work_orders.id", ondelete="CASCADE"),
                                          nullable=False)
    from_state: Mapped[str | None] = mapped_column(Text)
    to_state: Mapped[str] = mapped_column(Text, nullable=False)
    actor_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("users.id"))
    at: Mapped[dt.datetime] = utcnow_column(nullable=False)
    geom: Mapped[WKBElement | None] = geometry_column("POINT")
    reason: Mapped[str | None] = mapped_column(Text)
    # On site: the reported position's accuracy, its distance to the order's assets, whether it proves presence.
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    distance_m: Mapped[float | None] = mapped_column(Float)
    proven: Mapped[bool | None] = mapped_column(Boolean)


class WorkOrderAlarm(Base):
    """An alarm an order answers: its cause's alarm, and any alarm later raised on one of its assets."""

    __tablename__ = "work_order_alarms"
    __table_args__ = (Index("ix_work_order_alarms_order_id", "order_id"),)
    alarm_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("alarms.id", ondelete="CASCADE"), primary_key=True)
    order_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("work_orders.id", ondelete="CASCADE"),
                                          nullable=False)
    linked_at: Mapped[dt.datetime] = utcnow_column(nullable=False)


class WorkOrderReport(Base):
    """A citizen report an order answers (``fieldservice.from_reports``): a report joins one order."""

    __tablename__ = "work_order_reports"
    __table_args__ = (Index("ix_work_order_reports_order_id", "order_id"),)
    report_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("citizen_reports.id", ondelete="CASCADE"),
                                           primary_key=True)
    order_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("work_orders.id", ondelete="CASCADE"),
                                          nullable=False)
    linked_at: Mapped[dt.datetime] = utcnow_column(nullable=False)


ATTACHMENT_KINDS = ("photo", "signature")


def _order_fk() -> Mapped[int]:
    return mapped_column(BigInteger, ForeignKey("work_orders.id", ondelete="CASCADE"), nullable=False)


class WorkOrderChecklistItem(Base):
    """One line of an order's checklist (from ``resources/checklists``), ticked by who, when."""

    __tablename__ = "work_order_checklist"
    order_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("work_orders.id", ondelete="CASCADE"),
                                          primary_key=True)
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    position: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    label_fr: Mapped[str] = mapped_column(Text, nullable=False)
    label_en: Mapped[str] = mapped_column(Text, nullable=False)
    required: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    done: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    note: Mapped[str | None] = mapped_column(Text)
    done_by: Mapped[int | None] = mapped_column(Integer, ForeignKey("users.id"))
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class WorkOrderLabour(Base):
    """Time a person worked on an order, from–to."""

    __tablename__ = "work_order_labour"
    __table_args__ = (CheckConstraint("ended_at > started_at", name="interval"),
                      Index("ix_work_order_labour_order_id", "order_id"))
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = _order_fk()
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("users.id"), nullable=False)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    ended_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_by: Mapped[int | None] = mapped_column(Integer, ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = utcnow_column(nullable=False)


class WorkOrderPart(Base):
    """A part used on an order: reference, quantity, unit."""

    __tablename__ = "work_order_parts"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity"),
                      Index("ix_work_order_parts_order_id", "order_id"))
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = _order_fk()
    reference: Mapped[str] = mapped_column(Text, nullable=False)
    label: Mapped[str | None] = mapped_column(Text)
    quantity: Mapped[Decimal] = mapped_column(Numeric(10, 3), nullable=False)
    unit: Mapped[str] = mapped_column(Text, nullable=False, server_default="u")
    created_by: Mapped[int | None] = mapped_column(Integer, ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = utcnow_column(nullable=False)


class WorkOrderNote(Base):
    """A free note on an order."""

    __tablename__ = "work_order_notes"
    __table_args__ = (Index("ix_work_order_notes_order_id", "order_id"),)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = _order_fk()
    text: Mapped[str] = mapped_column(Text, nullable=False)
    author_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = utcnow_column(nullable=False)


class WorkOrderAttachment(Base):
    """A photo or a signature of an order: its file is stored once under the data folder by checksum."""

    __tablename__ = "work_order_attachments"
    __table_args__ = (CheckConstraint(among("kind", ATTACHMENT_KINDS), name="kind"),
                      Index("ix_work_order_attachments_order_id", "order_id"))
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = _order_fk()
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    sha256: Mapped[str] = mapped_column(Text, nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    content_type: Mapped[str] = mapped_column(Text, nullable=False)
    taken_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    geom: Mapped[WKBElement | None] = geometry_column("POINT")
    uploaded_by: Mapped[int | None] = mapped_column(Integer, ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = utcnow_column(nullable=False)


class WorkOrderClientAction(Base):
    """An action a client (the crew tablet) sent with its own id: applied once, its answer kept for replays."""

    __tablename__ = "work_order_client_actions"
    order_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("work_orders.id", ondelete="CASCADE"),
                                          primary_key=True)
    client_id: Mapped[str] = mapped_column(Text, primary_key=True)
    status: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    answer: Mapped[dict] = mapped_column(JSONB, nullable=False)
    user_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = utcnow_column(nullable=False)


class WorkOrderVisit(Base):
    """A stay of the crew's vehicle near an order's assets (:mod:`fieldservice.visits`): the arrival and the
    departure stamped from its GPS track."""

    __tablename__ = "work_order_visits"
    __table_args__ = (UniqueConstraint("order_id", "vehicle_id", "arrived_at", name="uq_work_order_visits_arrival"),)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = _order_fk()
    vehicle_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("assets.id", ondelete="CASCADE"), nullable=False)
    crew_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("crews.id", ondelete="SET NULL"))
    arrived_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    departed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    nearest_m: Mapped[float] = mapped_column(Float, nullable=False)


# Dispatch orders crews by the distance of their vehicle's live position (KNN, ``<->``): a partial GiST
# index on the positions of ``live_state`` (only vehicles have one, so the other rows keep HOT updates).
Index("ix_live_state_geom", LiveState.__table__.c.geom, postgresql_using="gist",
      postgresql_where=text("geom IS NOT NULL"))
