"""Citizen reports (Open311 GeoReport v2): the registered apps and the reports.

Revision ID: 0014_citizen_reports
Revises: 0012_kind_facts
Create Date: 2026-12-06
"""

import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0014_citizen_reports"
down_revision = "0012_kind_facts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_clients",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("key_sha256", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("disabled", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_clients")),
        sa.UniqueConstraint("name", name=op.f("uq_report_clients_name")),
        sa.UniqueConstraint("key_sha256", name=op.f("uq_report_clients_key_sha256")),
    )
    op.create_table(
        "citizen_reports",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("service_code", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), server_default="open", nullable=False),
        sa.Column("status_notes", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("geom", geoalchemy2.types.Geometry(geometry_type="POINT", srid=2154, spatial_index=False),
                  nullable=True),
        sa.Column("asset_id", sa.BigInteger(), nullable=True),
        sa.Column("snap_m", sa.Float(), nullable=True),
        sa.Column("duplicate_of", sa.BigInteger(), nullable=True),
        sa.Column("evidence", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("flagged", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("media_url", sa.Text(), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("first_name", sa.Text(), nullable=True),
        sa.Column("last_name", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("client_id", sa.BigInteger(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("lang", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_citizen_reports_status")),
        sa.ForeignKeyConstraint(["asset_id"], ["assets.id"], name=op.f("fk_citizen_reports_asset_id_assets"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["client_id"], ["report_clients.id"],
                                name=op.f("fk_citizen_reports_client_id_report_clients")),
        sa.ForeignKeyConstraint(["duplicate_of"], ["citizen_reports.id"],
                                name=op.f("fk_citizen_reports_duplicate_of_citizen_reports")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_reports")),
    )
    op.create_index("ix_citizen_reports_asset_open", "citizen_reports", ["asset_id"],
                    postgresql_where=sa.text("status = 'open'"))
    op.create_index("ix_citizen_reports_requested_at", "citizen_reports", ["requested_at"])


def downgrade() -> None:
    op.drop_index("ix_citizen_reports_requested_at", table_name="citizen_reports")
    op.drop_index("ix_citizen_reports_asset_open", table_name="citizen_reports")
    op.drop_table("citizen_reports")
    op.drop_table("report_clients")
