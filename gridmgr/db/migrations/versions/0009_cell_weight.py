"""Cells balanced by workload (issue 18): each cell's weight (households, visitors) when the plan was
made with one, so auto-assignment can balance wardens by weight; NULL for plans made without.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cells") as batch_op:
        batch_op.add_column(sa.Column("weight", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cells") as batch_op:
        batch_op.drop_column("weight")
