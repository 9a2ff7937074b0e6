"""Areas nest (district → street → community → grid): a parent, a leader and deputy per area; users may be
scoped to a subtree.

On SQLite, Alembic's batch mode copies the table to add a foreign key; `gridmgr.db.store.upgrade` runs
migrations with SQLite's foreign keys off, so dropping the old copy cascades to nothing.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

AREA_COLUMNS = (
    ("leader", 120),
    ("leader_phone", 40),
    ("deputy", 120),
    ("deputy_phone", 40),
)


def upgrade() -> None:
    with op.batch_alter_table("areas") as batch_op:
        batch_op.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        for name, length in AREA_COLUMNS:
            batch_op.add_column(sa.Column(name, sa.String(length), nullable=True))
        batch_op.create_foreign_key("fk_areas_parent_id_areas", "areas", ["parent_id"], ["id"])
        batch_op.create_index("ix_areas_parent_id", ["parent_id"])
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("scope_area_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_users_scope_area_id_areas", "areas", ["scope_area_id"], ["id"], ondelete="CASCADE"
        )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_constraint("fk_users_scope_area_id_areas", type_="foreignkey")
        batch_op.drop_column("scope_area_id")
    with op.batch_alter_table("areas") as batch_op:
        batch_op.drop_index("ix_areas_parent_id")
        batch_op.drop_constraint("fk_areas_parent_id_areas", type_="foreignkey")
        for name, _ in reversed(AREA_COLUMNS):
            batch_op.drop_column(name)
        batch_op.drop_column("parent_id")
