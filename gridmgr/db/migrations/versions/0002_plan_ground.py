"""Each plan keeps its gaps and overlaps, worked out once when it is written.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from gridmgr.db.models import Geometry

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("grid_plans") as batch_op:
        batch_op.add_column(sa.Column("gaps", Geometry, nullable=True))
        batch_op.add_column(sa.Column("overlaps", Geometry, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("grid_plans") as batch_op:
        batch_op.drop_column("overlaps")
        batch_op.drop_column("gaps")
