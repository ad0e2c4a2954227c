"""Field service: crews, members, clearances, shifts/on-call, SLA policies, work orders, their assets and events.

Revision ID: 0013_fieldservice
Revises: 0014_citizen_reports
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0013_fieldservice"
down_revision = "0014_citizen_reports"
branch_labels = None
depends_on = None

NOW = sa.text("now()")
POINT = Geometry(geometry_type="POINT", srid=2154, spatial_index=False)
CLEARANCES = ("B0", "B1", "B1V", "B2", "B2V", "BR", "BC", "BE", "H0", "H0V", "H1", "H1V", "H2", "H2V", "HC", "HE")
STATES = ("new", "assigned", "en_route", "on_site", "made_safe", "waiting", "done", "verified", "cancelled")
PRIORITIES = ("urgent", "high", "normal", "low")


def _among(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _fk(table: str, column: str, target: str, ondelete: str | None = None) -> sa.ForeignKeyConstraint:
    referred = target.split(".")[0]
    return sa.ForeignKeyConstraint([column], [target], name=op.f(f"fk_{table}_{column}_{referred}"), ondelete=ondelete)


def upgrade() -> None:
    op.create_table(
        "crews",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("skills", sa.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("vehicle_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        _fk("crews", "vehicle_id", "assets.id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crews")),
        sa.UniqueConstraint("name", name=op.f("uq_crews_name")),
    )
    op.create_table(
        "crew_members",
        sa.Column("crew_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        _fk("crew_members", "crew_id", "crews.id", "CASCADE"),
        _fk("crew_members", "user_id", "users.id", "CASCADE"),
        sa.PrimaryKeyConstraint("crew_id", "user_id", name=op.f("pk_crew_members")),
    )
    op.create_table(
        "clearances",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.CheckConstraint(_among("code", CLEARANCES), name=op.f("ck_clearances_code")),
        _fk("clearances", "user_id", "users.id", "CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "code", name=op.f("pk_clearances")),
    )
    op.create_table(
        "crew_shifts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("crew_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Text(), server_default="shift", nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=True),
        sa.Column("day", sa.Date(), nullable=True),
        sa.Column("starts", sa.Time(), nullable=False),
        sa.Column("ends", sa.Time(), nullable=False),
        sa.CheckConstraint(_among("kind", ("shift", "off", "on_call")), name=op.f("ck_crew_shifts_kind")),
        sa.CheckConstraint("(weekday IS NULL) <> (day IS NULL)", name=op.f("ck_crew_shifts_weekday_or_day")),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name=op.f("ck_crew_shifts_weekday")),
        _fk("crew_shifts", "crew_id", "crews.id", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crew_shifts")),
    )
    op.create_index("ix_crew_shifts_crew_id", "crew_shifts", ["crew_id"])
    op.create_table(
        "sla_policies",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("priority", sa.Text(), nullable=False),
        sa.Column("calendar", sa.Text(), server_default="calendar", nullable=False),
        sa.Column("response_min", sa.Integer(), nullable=True),
        sa.Column("make_safe_min", sa.Integer(), nullable=True),
        sa.Column("resolution_min", sa.Integer(), nullable=True),
        sa.Column("pause_reasons", sa.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("penalty_fixed", sa.Numeric(10, 2), server_default="0", nullable=False),
        sa.Column("penalty_per_hour", sa.Numeric(10, 2), server_default="0", nullable=False),
        sa.Column("penalty_cap", sa.Numeric(10, 2), nullable=True),
        sa.CheckConstraint(_among("priority", PRIORITIES), name=op.f("ck_sla_policies_priority")),
        sa.CheckConstraint(_among("calendar", ("calendar", "business")), name=op.f("ck_sla_policies_calendar")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_policies")),
        sa.UniqueConstraint("category", "priority", name="uq_sla_policies_category_priority"),
    )
    op.create_table(
        "work_orders",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("alarm_id", sa.BigInteger(), nullable=True),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("priority", sa.Text(), server_default="normal", nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("geom", POINT, nullable=True),
        sa.Column("crew_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.Text(), server_default="new", nullable=False),
        sa.Column("waiting_reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=True),
        sa.Column("response_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("make_safe_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.CheckConstraint(_among("origin", ("alarm", "citizen", "inspection", "planned", "planner")),
                           name=op.f("ck_work_orders_origin")),
        sa.CheckConstraint(_among("priority", PRIORITIES), name=op.f("ck_work_orders_priority")),
        sa.CheckConstraint(_among("state", STATES), name=op.f("ck_work_orders_state")),
        _fk("work_orders", "alarm_id", "alarms.id", "SET NULL"),
        _fk("work_orders", "crew_id", "crews.id", "SET NULL"),
        _fk("work_orders", "policy_id", "sla_policies.id", "SET NULL"),
        _fk("work_orders", "created_by", "users.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_orders")),
    )
    op.create_index("ix_work_orders_state", "work_orders", ["state"])
    op.create_index("ix_work_orders_alarm_id", "work_orders", ["alarm_id"])
    op.create_index("ix_work_orders_geom", "work_orders", ["geom"], postgresql_using="gist")
    op.create_table(
        "work_order_assets",
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("asset_id", sa.BigInteger(), nullable=False),
        _fk("work_order_assets", "order_id", "work_orders.id", "CASCADE"),
        _fk("work_order_assets", "asset_id", "assets.id", "CASCADE"),
        sa.PrimaryKeyConstraint("order_id", "asset_id", name=op.f("pk_work_order_assets")),
    )
    op.create_index("ix_work_order_assets_asset_id", "work_order_assets", ["asset_id"])
    op.create_table(
        "work_order_events",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("from_state", sa.Text(), nullable=True),
        sa.Column("to_state", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("geom", POINT, nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        _fk("work_order_events", "order_id", "work_orders.id", "CASCADE"),
        _fk("work_order_events", "actor_id", "users.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_events")),
    )
    op.create_index("ix_work_order_events_order_id", "work_order_events", ["order_id", "at"])


def downgrade() -> None:
    for table in ("work_order_events", "work_order_assets", "work_orders", "sla_policies", "crew_shifts",
                  "clearances", "crew_members", "crews"):
        op.drop_table(table)
