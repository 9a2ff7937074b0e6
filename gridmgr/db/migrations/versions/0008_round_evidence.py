"""Rounds are evidence: when the server received each round, whether it was entered late or backfilled,
and where the phone was (with its accuracy and whether that is in the cell); areas may require a position.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rounds") as batch_op:
        batch_op.add_column(sa.Column("received_at_s", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("late_entry", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("backfilled", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("entered_by", sa.String(120), nullable=True))
        batch_op.add_column(sa.Column("lon", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("lat", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("accuracy_m", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("in_cell", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("distance_m", sa.Float(), nullable=True))
    # rounds stored before: received when they were created
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        op.execute("UPDATE rounds SET received_at_s = EXTRACT(EPOCH FROM created_at)::bigint")
    else:
        op.execute("UPDATE rounds SET received_at_s = CAST(strftime('%s', created_at) AS INTEGER)")
    op.execute("UPDATE rounds SET received_at_s = at_s WHERE received_at_s IS NULL")
    with op.batch_alter_table("areas") as batch_op:
        batch_op.add_column(
            sa.Column("require_location", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("areas") as batch_op:
        batch_op.drop_column("require_location")
    with op.batch_alter_table("rounds") as batch_op:
        for column in (
            "distance_m", "in_cell", "accuracy_m", "lat", "lon", "entered_by", "backfilled",
            "late_entry", "received_at_s",
        ):  # fmt: skip
            batch_op.drop_column(column)
