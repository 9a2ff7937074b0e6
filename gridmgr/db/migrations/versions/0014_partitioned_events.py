"""More history partitioned by month on PostgreSQL: findings' events and checkpoint counts become
tables partitioned on `at_s`, in place and in one transaction, as rounds did in 0012. Gate counts'
Idempotency-Keys stay unique across months in `gate_keys`, kept by triggers; photos keep the id of
their finding event without a foreign key (a partitioned table cannot be referenced by `id` alone;
see gridmgr.db.partitions). Rounds' keys get the plain index that lookups by key use. SQLite keeps
plain tables: nothing to do there.

Revision ID: 0013
Revises: 0012
"""

from alembic import op

from gridmgr.db.partitions import (
    add_key_index,
    history,
    is_partitioned,
    make_partitioned,
    make_plain,
)

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

TABLES = ("finding_events", "gate_events")


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    if is_partitioned(conn, "rounds"):
        add_key_index(conn, history("rounds"))
    for h in (history(t) for t in TABLES):
        if not is_partitioned(conn, h.table):
            make_partitioned(conn, h)


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    for h in (history(t) for t in reversed(TABLES)):
        if is_partitioned(conn, h.table):
            make_plain(conn, h)
