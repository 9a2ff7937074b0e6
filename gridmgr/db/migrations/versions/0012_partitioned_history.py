"""History partitioned by month on PostgreSQL: rounds become a table partitioned on `at_s` (a
partition per month, made for every month present and this month and the next two, and a default
one), in place and in one transaction; their Idempotency-Keys stay unique across months in
`round_keys`, kept by triggers. SQLite keeps one plain table: nothing to do there.

Revision ID: 0012
Revises: 0011
"""

from alembic import op

from gridmgr.db.partitions import history, is_partitioned, make_partitioned, make_plain

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    for h in (history("rounds"),):  # the tables of later migrations are theirs
        if not is_partitioned(conn, h.table):
            make_partitioned(conn, h)


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    for h in (history("rounds"),):  # the tables of later migrations are theirs
        if is_partitioned(conn, h.table):
            make_plain(conn, h)
