"""Commands to devices: commands, their targets, the audit log of every transition, device routes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ACTIONS = "action IN ('dim', 'switch', 'flash', 'normal', 'reboot')"
COMMAND_STATES = "state IN ('awaiting_confirmation', 'running', 'done', 'partly_failed', 'failed', 'cancelled')"
TARGET_STATES = "state IN ('queued', 'sent', 'acknowledged', 'verified', 'failed', 'timed_out', 'cancelled')"
NOW = sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "commands",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("params", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("target", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("needs_confirmation", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("max_attempts", sa.SmallInteger(), server_default="3", nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("confirmed_by", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.Integer(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.CheckConstraint(ACTIONS, name=op.f("ck_commands_action")),
        sa.CheckConstraint(COMMAND_STATES, name=op.f("ck_commands_state")),
        sa.CheckConstraint("max_attempts BETWEEN 1 AND 10", name=op.f("ck_commands_max_attempts")),
        sa.ForeignKeyConstraint(["requested_by"], ["users.id"], name=op.f("fk_commands_requested_by_users")),
        sa.ForeignKeyConstraint(["confirmed_by"], ["users.id"], name=op.f("fk_commands_confirmed_by_users")),
        sa.ForeignKeyConstraint(["cancelled_by"], ["users.id"], name=op.f("fk_commands_cancelled_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commands")),
    )
    op.create_index("ix_commands_state", "commands", ["state"])

    op.create_table(
        "command_targets",
        sa.Column("command_id", sa.BigInteger(), nullable=False),
        sa.Column("asset_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), server_default="queued", nullable=False),
        sa.Column("attempts", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("transport", sa.Text(), nullable=True),
        sa.Column("message_id", sa.Text(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ack_ts", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.CheckConstraint(TARGET_STATES, name=op.f("ck_command_targets_state")),
        sa.ForeignKeyConstraint(["command_id"], ["commands.id"], name=op.f("fk_command_targets_command_id_commands"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["asset_id"], ["assets.id"], name=op.f("fk_command_targets_asset_id_assets"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("command_id", "asset_id", name=op.f("pk_command_targets")),
    )
    op.create_index("ix_command_targets_asset_id", "command_targets", ["asset_id"])
    op.create_index("ix_command_targets_open", "command_targets", ["state"],
                    postgresql_where=sa.text("state IN ('queued', 'sent', 'acknowledged')"))

    op.create_table(
        "command_log",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("command_id", sa.BigInteger(), nullable=False),
        sa.Column("asset_id", sa.BigInteger(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("clock_timestamp()"), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("from_state", sa.Text(), nullable=True),
        sa.Column("to_state", sa.Text(), nullable=False),
        sa.Column("attempt", sa.SmallInteger(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["command_id"], ["commands.id"], name=op.f("fk_command_log_command_id_commands"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_command_log_actor_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_command_log")),
    )
    op.create_index("ix_command_log_command_id", "command_log", ["command_id"])

    op.create_table(
        "device_routes",
        sa.Column("asset_id", sa.BigInteger(), nullable=False),
        sa.Column("network", sa.Text(), nullable=False),
        sa.Column("application", sa.Text(), nullable=True),
        sa.Column("device_id", sa.Text(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.CheckConstraint("network IN ('chirpstack', 'tts', 'citypilot')", name=op.f("ck_device_routes_network")),
        sa.ForeignKeyConstraint(["asset_id"], ["assets.id"], name=op.f("fk_device_routes_asset_id_assets"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("asset_id", name=op.f("pk_device_routes")),
    )


def downgrade() -> None:
    op.drop_table("device_routes")
    op.drop_table("command_log")
    op.drop_table("command_targets")
    op.drop_table("commands")
