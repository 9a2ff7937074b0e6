"""State every server shares, so several `gridmgr serve` processes on one database behave as one:
deployment settings (the session-signing key), failed logins, and large-upload slots (SQLite).

Revision ID: 0011
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "settings",
        sa.Column("name", sa.String(80), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("at_s", sa.Float(), nullable=False),
    )
    op.create_index("ix_login_failures_key", "login_failures", ["kind", "key", "at_s"])
    op.create_index("ix_login_failures_at", "login_failures", ["at_s"])
    op.create_table(
        "upload_slots",
        sa.Column("slot", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("holder", sa.String(64), nullable=False),
        sa.Column("until_s", sa.Float(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("upload_slots")
    op.drop_index("ix_login_failures_at", table_name="login_failures")
    op.drop_index("ix_login_failures_key", table_name="login_failures")
    op.drop_table("login_failures")
    op.drop_table("settings")
