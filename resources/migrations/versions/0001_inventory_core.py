"""Inventory core: users, communes, streets, assets of every kind, the audit trail and its triggers.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

from resources.migrations.sql import load_sql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

KINDS = (
    "cabinet", "circuit", "pole", "luminaire", "signal_controller", "signal_head", "camera", "vehicle",
    "fibre_node", "fibre_segment", "sensor", "energy_meter", "building",
)


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    _create_tables()
    kinds = ", ".join(f"'{k}'" for k in KINDS)
    op.create_check_constraint("kind", "assets", f"kind IN ({kinds})")
    op.create_index("ix_assets_geom", "assets", ["geom"], postgresql_using="gist")
    op.create_index("ix_communes_geom", "communes", ["geom"], postgresql_using="gist")
    op.create_index("ix_streets_geom", "streets", ["geom"], postgresql_using="gist")
    op.create_index("ix_asset_history_at", "asset_history", ["at"])
    for column in ("dev_eui", "plate", "tracker_id"):
        op.create_index(
            f"uq_assets_{column}", "assets", [column], unique=True,
            postgresql_where=sa.text(f"{column} IS NOT NULL"),
        )
    op.create_index("ix_assets_from_node_id", "assets", ["from_node_id"])
    op.create_index("ix_assets_to_node_id", "assets", ["to_node_id"])
    op.execute(
        "INSERT INTO users (name, full_name, role) VALUES ('system', 'CityPilot system processes', 'admin')"
    )
    op.execute(load_sql("0001_inventory_triggers.sql"))


def downgrade() -> None:
    op.execute(load_sql("0001_inventory_triggers_down.sql"))
    op.drop_table("assets")
    op.drop_table("asset_history")
    op.drop_table("commune_parts")
    op.drop_table("users")
    op.drop_table("streets")
    op.drop_table("communes")


def _create_tables() -> None:
    op.create_table('communes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('insee', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('merged_into', sa.Text(), nullable=True),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=2154, dimension=2, spatial_index=False), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_communes'))
    )
    op.create_index(op.f('ix_communes_insee'), 'communes', ['insee'], unique=False)
    op.create_table('commune_parts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('insee', sa.Text(), nullable=False),
    sa.Column('geom', Geometry(geometry_type='POLYGON', srid=2154, dimension=2, spatial_index=False), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commune_parts'))
    )
    op.create_index('ix_commune_parts_geom', 'commune_parts', ['geom'], postgresql_using='gist')
    op.create_table('streets',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('street_class', sa.Text(), nullable=True),
    sa.Column('commune_insee', sa.Text(), nullable=True),
    sa.Column('geom', Geometry(geometry_type='LINESTRING', srid=2154, dimension=2, spatial_index=False), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_streets'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('full_name', sa.Text(), nullable=True),
    sa.Column('role', sa.Text(), nullable=False),
    sa.Column('disabled', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("role IN ('admin', 'planner', 'supervisor', 'operator', 'crew', 'public')", name=op.f('ck_users_role')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('name', name=op.f('uq_users_name'))
    )
    op.create_table('asset_history',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('asset_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('action', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('txid', sa.BigInteger(), server_default=sa.text('txid_current()'), nullable=False),
    sa.Column('changed', postgresql.ARRAY(sa.Text()), nullable=True),
    sa.Column('before', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('after', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_asset_history_actor_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_asset_history'))
    )
    op.create_index(op.f('ix_asset_history_asset_id'), 'asset_history', ['asset_id'], unique=False)
    op.create_table('assets',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('code', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('status', sa.Text(), server_default='in_service', nullable=False),
    sa.Column('geom', Geometry(srid=2154, dimension=2, spatial_index=False), nullable=True),
    sa.Column('commune_insee', sa.Text(), nullable=True),
    sa.Column('install_date', sa.Date(), nullable=True),
    sa.Column('manufacturer', sa.Text(), nullable=True),
    sa.Column('model', sa.Text(), nullable=True),
    sa.Column('attrs', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('parent_id', sa.BigInteger(), nullable=True),
    sa.Column('fibre_node_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('contract_power_kva', sa.Float(), nullable=True),
    sa.Column('energy_meter_id', sa.BigInteger(), nullable=True),
    sa.Column('circuit_number', sa.SmallInteger(), nullable=True),
    sa.Column('support_type', sa.Text(), nullable=True),
    sa.Column('height_m', sa.Float(), nullable=True),
    sa.Column('luminaire_type', sa.Text(), nullable=True),
    sa.Column('is_led', sa.Boolean(), nullable=True),
    sa.Column('power_w', sa.Float(), nullable=True),
    sa.Column('power_w_before', sa.Float(), nullable=True),
    sa.Column('colour_temp_k', sa.Integer(), nullable=True),
    sa.Column('dimming_profile', sa.Text(), nullable=True),
    sa.Column('dev_eui', sa.Text(), nullable=True),
    sa.Column('intersection', sa.Text(), nullable=True),
    sa.Column('bus_priority', sa.Boolean(), nullable=True),
    sa.Column('head_type', sa.Text(), nullable=True),
    sa.Column('approach', sa.Text(), nullable=True),
    sa.Column('camera_type', sa.Text(), nullable=True),
    sa.Column('fov', Geometry(geometry_type='POLYGON', srid=2154, dimension=2, spatial_index=False), nullable=True),
    sa.Column('plate', sa.Text(), nullable=True),
    sa.Column('vehicle_type', sa.Text(), nullable=True),
    sa.Column('tracker_id', sa.Text(), nullable=True),
    sa.Column('node_type', sa.Text(), nullable=True),
    sa.Column('from_node_id', sa.BigInteger(), nullable=True),
    sa.Column('to_node_id', sa.BigInteger(), nullable=True),
    sa.Column('fibre_count', sa.SmallInteger(), nullable=True),
    sa.Column('length_m', sa.Float(), sa.Computed("CASE WHEN kind = 'fibre_segment' THEN ST_Length(geom) END", persisted=True), nullable=True),
    sa.Column('sensor_type', sa.Text(), nullable=True),
    sa.Column('unit_id', sa.SmallInteger(), nullable=True),
    sa.Column('meter_model', sa.Text(), nullable=True),
    sa.Column('register_map', sa.Text(), nullable=True),
    sa.Column('modbus_host', sa.Text(), nullable=True),
    sa.Column('modbus_port', sa.Integer(), nullable=True),
    sa.Column('building_use', sa.Text(), nullable=True),
    sa.Column('floor_area_m2', sa.Float(), nullable=True),
    sa.CheckConstraint("status IN ('planned', 'in_service', 'out_of_service', 'removed')", name=op.f('ck_assets_status')),
    sa.CheckConstraint('length(btrim(code)) > 0', name=op.f('ck_assets_code_not_blank')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_assets_created_by_users')),
    sa.ForeignKeyConstraint(['energy_meter_id'], ['assets.id'], name=op.f('fk_assets_energy_meter_id_assets'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['fibre_node_id'], ['assets.id'], name=op.f('fk_assets_fibre_node_id_assets'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['from_node_id'], ['assets.id'], name=op.f('fk_assets_from_node_id_assets'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['parent_id'], ['assets.id'], name=op.f('fk_assets_parent_id_assets'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['to_node_id'], ['assets.id'], name=op.f('fk_assets_to_node_id_assets'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_assets_updated_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assets')),
    sa.UniqueConstraint('kind', 'code', name='uq_assets_kind_code')
    )
    op.create_index(op.f('ix_assets_commune_insee'), 'assets', ['commune_insee'], unique=False)
    op.create_index(op.f('ix_assets_fibre_node_id'), 'assets', ['fibre_node_id'], unique=False)
    op.create_index(op.f('ix_assets_kind'), 'assets', ['kind'], unique=False)
    op.create_index(op.f('ix_assets_parent_id'), 'assets', ['parent_id'], unique=False)
