"""The coverage map's count of recently rectified findings by an index: area and closing time of the
findings closed as rectified (a partial index on both databases), so the map counts them without
reading every finding of the area.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

RECTIFIED = sa.text("closed_as = 'rectified'")


def upgrade() -> None:
    op.create_index(
        "ix_findings_rectified_at",
        "findings",
        ["area_id", "closed_at_s"],
        sqlite_where=RECTIFIED,
        postgresql_where=RECTIFIED,
    )


def downgrade() -> None:
    op.drop_index("ix_findings_rectified_at", table_name="findings")
