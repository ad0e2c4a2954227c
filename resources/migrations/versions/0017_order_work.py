"""Proof of intervention: checklists, labour, parts, notes, photos and signatures of work orders; where an
on-site position stood from the assets; the actions a tablet sent with its own id, applied once.

Revision ID: 0017_order_work
Revises: 0016_reports_orders_paging
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = "0017_order_work"
down_revision = "0016_reports_orders_paging"
branch_labels = None
depends_on = None

NOW = sa.text("now()")
POINT = Geometry(geometry_type="POINT", srid=2154, spatial_index=False)


def _fk(table: str, column: str, target: str, ondelete: str | None = None) -> sa.ForeignKeyConstraint:
    referred = target.split(".")[0]
    return sa.ForeignKeyConstraint([column], [target], name=op.f(f"fk_{table}_{column}_{referred}"), ondelete=ondelete)


def _order(table: str) -> sa.ForeignKeyConstraint:
    return _fk(table, "order_id", "work_orders.id", "CASCADE")


def upgrade() -> None:
    op.add_column("work_order_events", sa.Column("accuracy_m", sa.Float(), nullable=True))
    op.add_column("work_order_events", sa.Column("distance_m", sa.Float(), nullable=True))
    op.add_column("work_order_events", sa.Column("proven", sa.Boolean(), nullable=True))
    op.create_table(
        "work_order_checklist",
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("label_fr", sa.Text(), nullable=False),
        sa.Column("label_en", sa.Text(), nullable=False),
        sa.Column("required", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("done", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("done_by", sa.Integer(), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        _order("work_order_checklist"),
        _fk("work_order_checklist", "done_by", "users.id"),
        sa.PrimaryKeyConstraint("order_id", "key", name=op.f("pk_work_order_checklist")),
    )
    op.create_table(
        "work_order_labour",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.CheckConstraint("ended_at > started_at", name=op.f("ck_work_order_labour_interval")),
        _order("work_order_labour"),
        _fk("work_order_labour", "user_id", "users.id"),
        _fk("work_order_labour", "created_by", "users.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_labour")),
    )
    op.create_index("ix_work_order_labour_order_id", "work_order_labour", ["order_id"])
    op.create_table(
        "work_order_parts",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("quantity", sa.Numeric(10, 3), nullable=False),
        sa.Column("unit", sa.Text(), server_default="u", nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_work_order_parts_quantity")),
        _order("work_order_parts"),
        _fk("work_order_parts", "created_by", "users.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_parts")),
    )
    op.create_index("ix_work_order_parts_order_id", "work_order_parts", ["order_id"])
    op.create_table(
        "work_order_notes",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        _order("work_order_notes"),
        _fk("work_order_notes", "author_id", "users.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_notes")),
    )
    op.create_index("ix_work_order_notes_order_id", "work_order_notes", ["order_id"])
    op.create_table(
        "work_order_attachments",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.Text(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("geom", POINT, nullable=True),
        sa.Column("uploaded_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.CheckConstraint("kind IN ('photo', 'signature')", name=op.f("ck_work_order_attachments_kind")),
        _order("work_order_attachments"),
        _fk("work_order_attachments", "uploaded_by", "users.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_attachments")),
    )
    op.create_index("ix_work_order_attachments_order_id", "work_order_attachments", ["order_id"])
    op.create_table(
        "work_order_client_actions",
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("client_id", sa.Text(), nullable=False),
        sa.Column("status", sa.SmallInteger(), nullable=False),
        sa.Column("answer", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        _order("work_order_client_actions"),
        _fk("work_order_client_actions", "user_id", "users.id"),
        sa.PrimaryKeyConstraint("order_id", "client_id", name=op.f("pk_work_order_client_actions")),
    )


def downgrade() -> None:
    for table in ("work_order_client_actions", "work_order_attachments", "work_order_notes", "work_order_parts",
                  "work_order_labour", "work_order_checklist"):
        op.drop_table(table)
    for column in ("proven", "distance_m", "accuracy_m"):
        op.drop_column("work_order_events", column)
