"""History partitioned by month on PostgreSQL (gridmgr.db.partitions, migration 0012): converted in
place without losing a row, months made ahead, archived and restored, reports reading only the
months they need and answering as the plain table does; SQLite keeps one table."""

from __future__ import annotations

import gzip
import json
import uuid
from datetime import date

import pytest
from roundtools import all_rounds, epoch, fill
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import IntegrityError

from gridmgr import services
from gridmgr.db.partitions import (
    HISTORY,
    Month,
    archive_before,
    create_months_ahead,
    is_partitioned,
    partitions,
    restore_archive,
)
from gridmgr.db.store import downgrade, make_engine, upgrade
from gridmgr.errors import InvalidInput
from gridmgr.services.rounds import record_round
from gridmgr.web.api.serialise import report_to_json

from needs import shared_pg_url
from webtools import seed_park

ROUNDS = HISTORY[0]
MONTHS = ("2026-09", "2026-10", "2026-11")


def test_a_filled_database_is_partitioned_in_place_without_losing_a_row(engine, db_url, tmp_path):
    downgrade(engine, "0011")  # the database as it was before: rounds one plain table
    fill(engine, tmp_path)
    before = all_rounds(engine)
    upgrade(engine)
    with engine.connect() as conn:
        partitioned = is_partitioned(conn, "rounds")
        months = partitions(conn, ROUNDS) if partitioned else {}
    assert all_rounds(engine) == before and len(before) == 630
    if db_url.startswith("sqlite"):
        assert not partitioned  # SQLite's migration changes nothing
        return
    assert partitioned and {Month.parse(m) for m in MONTHS} <= set(months)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM round_keys")).scalar_one() == 200
        assert conn.execute(text("SELECT count(*) FROM rounds_default")).scalar_one() == 0
        in_october = conn.execute(text("SELECT count(*) FROM rounds_y2026m10")).scalar_one()
    assert 150 < in_october < 250
    # a key stays unique across months: the same key in another month is refused
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO rounds (cell_id, at_s, idempotency_key, late_entry, backfilled, created_at) "
                "SELECT cell_id, :at, 'key-0', false, false, now() FROM rounds LIMIT 1"
            ),
            {"at": epoch("2026-10-15T10:00:00") if before[0][3] < epoch("2026-10-01T00:00:00")
                   else epoch("2026-09-15T10:00:00")},
        )  # fmt: skip
    # new rounds get new ids from the same sequence, and their keys are kept
    n = len(before)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO rounds (cell_id, at_s, idempotency_key, late_entry, backfilled, created_at) "
                "SELECT cell_id, :at, 'fresh', false, false, now() FROM rounds LIMIT 1"
            ),
            {"at": epoch("2026-11-20T10:00:00")},
        )
        assert conn.execute(text("SELECT max(id) FROM rounds")).scalar_one() > n
    downgrade(engine, "0011")  # and back: one plain table, every row, the UNIQUE constraint again
    assert len(all_rounds(engine)) == n + 1 and all_rounds(engine)[:n] == before
    with engine.connect() as conn:
        assert not is_partitioned(conn, "rounds")
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO rounds (cell_id, at_s, idempotency_key, late_entry, backfilled, created_at) "
                "SELECT cell_id, at_s, 'fresh', false, false, now() FROM rounds LIMIT 1"
            )
        )


def test_a_replayed_key_through_the_service_returns_the_first_round(engine, tmp_path):
    seeded = seed_park(engine, tmp_path, wardens=2)
    code = seeded.codes[0]
    first = record_round(engine, seeded.slug, code, "warden1", idempotency_key="k1")
    again = record_round(engine, seeded.slug, code, "warden1", idempotency_key="k1")
    assert first.new and not again.new and again.round == first.round
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM rounds")).scalar_one() == 1


@pytest.fixture
def pg(db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("partitions are PostgreSQL's; SQLite keeps history in one table")
    return db_url


def test_maintain_makes_months_ahead_once_and_takes_rows_out_of_the_default(engine, pg, tmp_path):
    seed_park(engine, tmp_path, wardens=2)
    made = create_months_ahead(engine, ahead=2, today=date(2027, 5, 10))
    assert made[0].created == ["rounds_y2027m05", "rounds_y2027m06", "rounds_y2027m07"]
    assert create_months_ahead(engine, ahead=2, today=date(2027, 5, 31))[0].created == []
    # a manager's backfill into a month no partition holds lands in the default partition; making
    # that month later moves it there
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO rounds (cell_id, at_s, idempotency_key, late_entry, backfilled, created_at) "
                "SELECT id, :at, 'old', false, true, now() FROM cells LIMIT 1"
            ),
            {"at": epoch("2025-01-20T10:00:00")},
        )
    again = create_months_ahead(engine, ahead=0, today=date(2025, 1, 3))
    assert again[0].created == ["rounds_y2025m01"] and again[0].moved_from_default == 1
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM rounds_y2025m01")).scalar_one() == 1
        assert conn.execute(text("SELECT count(*) FROM rounds_default")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM round_keys")).scalar_one() == 1


def test_old_months_are_archived_to_a_file_and_restored(engine, pg, tmp_path):
    fill(engine, tmp_path)
    before = all_rounds(engine)
    out = tmp_path / "rounds-before-2026-11.jsonl.gz"
    archived = archive_before(engine, "2026-11", out)
    assert [(a.table, a.month) for a in archived] == [("rounds", "2026-09"), ("rounds", "2026-10")]
    kept = [r for r in before if r[3] >= epoch("2026-11-01T00:00:00")]
    assert all_rounds(engine) == kept
    assert sum(a.rows for a in archived) == len(before) - len(kept)
    with engine.connect() as conn:
        months = set(partitions(conn, ROUNDS))
        keys = conn.execute(text("SELECT count(*) FROM round_keys")).scalar_one()
    assert Month(2026, 9) not in months and Month(2026, 11) in months
    assert keys == sum(1 for r in kept if r[5] is not None)
    with gzip.open(out, "rt", encoding="utf-8") as f:  # the file says what it holds
        lines = [json.loads(line) for line in f]
    assert lines[0]["format"] == "gridmgr-archive/1"
    assert lines[1] == {"table": "rounds", "month": "2026-09", "rows": archived[0].rows}
    restored = restore_archive(engine, out)
    assert restored == archived and all_rounds(engine) == before
    with pytest.raises(InvalidInput, match="in the database already"):
        restore_archive(engine, out)
    assert all_rounds(engine) == before


def test_archiving_needs_postgresql(db_url, engine, tmp_path):
    if not db_url.startswith("sqlite"):
        pytest.skip("the SQLite answer")
    with pytest.raises(InvalidInput, match="needs PostgreSQL"):
        archive_before(engine, "2026-01", tmp_path / "a.gz")
    assert create_months_ahead(engine) == []


def test_a_days_coverage_report_reads_one_months_partition(engine, pg, tmp_path):
    slug = fill(engine, tmp_path)
    statements: list[tuple[str, dict]] = []

    def seen(_conn, _cursor, statement, parameters, _context, _many):
        if "rounds" in statement:
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        services.coverage_report(engine, slug, at="2026-10-15T12:00:00")
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert statements
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        for statement, parameters in statements:
            cur = raw.cursor()
            cur.execute("EXPLAIN " + statement, parameters)
            plan = "\n".join(r[0] for r in cur.fetchall())
            cur.close()
            scanned = {w for w in plan.replace("(", " ").split() if w.startswith("rounds_")}
            scanned = {w for w in scanned if w.startswith(("rounds_y", "rounds_default"))}
            assert scanned == {"rounds_y2026m10"}, plan


MOMENTS = (
    "2026-09-03T08:40:00",
    "2026-10-01T00:10:00",
    "2026-10-31T23:50:00",
    "2026-11-15T12:35:00",
)


def reports(engine, slug: str) -> list[dict]:
    return [
        report_to_json(services.coverage_report(engine, slug, at=m, with_cells=True))
        for m in MOMENTS
    ]


def test_partitioned_and_plain_history_give_identical_reports(tmp_path):
    """The same park and rounds on SQLite, on PostGIS with rounds partitioned, and on PostGIS with
    them in one plain table: every report the same (moments at month ends on the area's clock)."""
    sqlite = make_engine(f"sqlite:///{tmp_path / 'g.db'}")
    upgrade(sqlite)
    (tmp_path / "a").mkdir()
    slug = fill(sqlite, tmp_path / "a")
    expected = reports(sqlite, slug)
    sqlite.dispose()
    base = shared_pg_url()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    pg = make_engine(f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema},public")
    try:
        upgrade(pg)
        (tmp_path / "b").mkdir()
        assert fill(pg, tmp_path / "b") == slug
        partitioned = reports(pg, slug)
        downgrade(pg, "0011")
        plain = reports(pg, slug)
    finally:
        pg.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
    assert [bool(r["ok"]) for r in expected] == [False, False, False, True]
    assert any(r["due"] for r in expected) and any(r["overdue"] for r in expected)
    assert partitioned == expected
    assert plain == expected
