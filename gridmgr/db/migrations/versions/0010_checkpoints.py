"""Checkpoints and visitor caps: gates of an area with the wardens posted there, the area's caps and
daily entry slots, its counts per day (the row a count locks), each checkpoint's day and every count.

Revision ID: 0010
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _area_id() -> sa.Column:
    return sa.Column(
        "area_id", sa.Integer(), sa.ForeignKey("areas.id", ondelete="CASCADE"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "checkpoints",
        sa.Column("id", sa.Integer(), primary_key=True),
        _area_id(),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("area_id", "name"),
    )
    op.create_index("ix_checkpoints_area_id", "checkpoints", ["area_id"])
    op.create_table(
        "checkpoint_posts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "checkpoint_id",
            sa.Integer(),
            sa.ForeignKey("checkpoints.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "warden_id",
            sa.Integer(),
            sa.ForeignKey("wardens.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("shift_start", sa.String(5)),
        sa.Column("shift_end", sa.String(5)),
        sa.UniqueConstraint("checkpoint_id", "warden_id"),
    )
    op.create_index("ix_checkpoint_posts_checkpoint_id", "checkpoint_posts", ["checkpoint_id"])
    op.create_index("ix_checkpoint_posts_warden_id", "checkpoint_posts", ["warden_id"])
    op.create_table(
        "area_caps",
        sa.Column(
            "area_id",
            sa.Integer(),
            sa.ForeignKey("areas.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("max_capacity", sa.Integer()),
        sa.Column("percent", sa.String(20)),
        sa.Column("instant", sa.Integer()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "capacity_slots",
        sa.Column("id", sa.Integer(), primary_key=True),
        _area_id(),
        sa.Column("slot_start", sa.String(5), nullable=False),
        sa.Column("slot_end", sa.String(5), nullable=False),
        sa.Column("quota", sa.Integer(), nullable=False),
    )
    op.create_index("ix_capacity_slots_area_id", "capacity_slots", ["area_id"])
    op.create_table(
        "area_days",
        sa.Column("id", sa.Integer(), primary_key=True),
        _area_id(),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("occupancy", sa.Integer(), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("exits", sa.Integer(), nullable=False),
        sa.Column("slot_entries", sa.Text(), nullable=False),
        sa.UniqueConstraint("area_id", "day"),
    )
    op.create_table(
        "checkpoint_days",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "checkpoint_id",
            sa.Integer(),
            sa.ForeignKey("checkpoints.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("exits", sa.Integer(), nullable=False),
        sa.Column("last_at_s", sa.BigInteger()),
        sa.UniqueConstraint("checkpoint_id", "day"),
    )
    op.create_table(
        "gate_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        _area_id(),
        sa.Column(
            "checkpoint_id",
            sa.Integer(),
            sa.ForeignKey("checkpoints.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("at_s", sa.BigInteger(), nullable=False),
        sa.Column("received_at_s", sa.BigInteger(), nullable=False),
        sa.Column("n_in", sa.Integer(), nullable=False),
        sa.Column("n_out", sa.Integer(), nullable=False),
        sa.Column("entered_by", sa.String(120), nullable=False),
        sa.Column("override", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("idempotency_key", sa.String(80), unique=True),
        sa.Column("occupancy_after", sa.Integer(), nullable=False),
        sa.Column("limit_after", sa.Integer()),
        sa.Column("slot", sa.String(11)),
    )
    op.create_index("ix_gate_events_area_day", "gate_events", ["area_id", "day", "id"])


def downgrade() -> None:
    for table in (
        "gate_events", "checkpoint_days", "area_days", "capacity_slots", "area_caps",
        "checkpoint_posts", "checkpoints",
    ):  # fmt: skip
        op.drop_table(table)
