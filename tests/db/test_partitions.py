"""History partitioned by month on PostgreSQL (gridmgr.db.partitions, migrations 0012 for rounds and
0014 for findings' events and gate counts): converted in place without losing a row, months made ahead, archived and restored, reports reading only the
months they need and answering as the plain table does; SQLite keeps one table."""

from __future__ import annotations

import gzip
import json
import re
import uuid
from dataclasses import asdict
from datetime import date, datetime

import pytest
from roundtools import all_rounds, all_rows, epoch, fill, fill_events
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import IntegrityError

from gridmgr import services
from gridmgr.db.partitions import (
    HISTORY,
    Month,
    archive_before,
    create_months_ahead,
    history,
    is_partitioned,
    partitions,
    restore_archive,
)
from gridmgr.db.store import downgrade, make_engine, upgrade
from gridmgr.errors import InvalidInput
from gridmgr.services.finding_views import Actor, get_finding
from gridmgr.services.ledger import ledger
from gridmgr.services.occupancy import occupancy, occupancy_curve, recount
from gridmgr.services.rounds import record_round
from gridmgr.web.api.checkpoints_json import curve_to_json, occupancy_to_json
from gridmgr.web.api.findings_json import finding_json, ledger_json
from gridmgr.web.api.serialise import report_to_json

from needs import shared_pg_url
from webtools import seed_park

ROUNDS = HISTORY[0]
MONTHS = ("2026-09", "2026-10", "2026-11")


def test_a_filled_database_is_partitioned_in_place_without_losing_a_row(engine, db_url, tmp_path):
    fill(engine, tmp_path)  # filled by today's code, then taken back to before 0012
    before = all_rounds(engine)
    downgrade(engine, "0011")  # the database as it was before: rounds one plain table
    assert all_rounds(engine) == before
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
            # partitions by name, also where the plan names one of their indexes
            scanned = set(re.findall(r"\b(rounds_(?:y\d{4}m\d{2}|default))", plan))
            assert scanned == {"rounds_y2026m10"}, plan


MOMENTS = (
    "2026-09-03T08:40:00",
    "2026-10-01T00:10:00",
    "2026-10-31T23:50:00",
    "2026-11-15T12:35:00",
)


BOSS = Actor("boss", "manager")
END = datetime.fromisoformat("2026-12-01T09:00:00+08:00")
DAYS = (date(2026, 9, 3), date(2026, 10, 1), date(2026, 10, 31), date(2026, 11, 15))


def reports(engine, slug: str) -> list[dict]:
    """Coverage at the moments; the ledger as of them and over each month; every finding with its
    history; occupancy, its curve and the recount from events on days with counts."""
    out = [
        report_to_json(services.coverage_report(engine, slug, at=m, with_cells=True))
        for m in MOMENTS
    ]
    for m in MOMENTS:
        at = datetime.fromisoformat(m + "+08:00")
        out.append(ledger_json(ledger(engine, slug, at=at)))
    for a, b in (("2026-09-01", "2026-09-30"), ("2026-10-01", "2026-10-31")):
        out.append(ledger_json(ledger(engine, slug, date_from=a, date_to=b, period="day", at=END)))
    with engine.connect() as conn:
        ids = conn.execute(text("SELECT id FROM findings ORDER BY id")).scalars().all()
        days = conn.execute(text("SELECT DISTINCT day FROM gate_events ORDER BY day")).scalars()
        days = [date.fromisoformat(d) for d in days]
    out.extend(finding_json(get_finding(engine, i, BOSS)) for i in ids)
    for day in [*DAYS, *days[::7]]:
        out.append(occupancy_to_json(occupancy(engine, slug, at=f"{day}T23:59:00")))
        out.append(curve_to_json(occupancy_curve(engine, slug, day=day, step_min=60)))
        out.append(asdict(recount(engine, slug, day=day)))
    return out


def test_partitioned_and_plain_history_give_identical_reports(tmp_path):
    """The same park and rounds on SQLite, on PostGIS with rounds partitioned, and on PostGIS with
    them in one plain table: every report the same (moments at month ends on the area's clock)."""
    sqlite = make_engine(f"sqlite:///{tmp_path / 'g.db'}")
    upgrade(sqlite)
    (tmp_path / "a").mkdir()
    slug = fill(sqlite, tmp_path / "a")
    fill_events(sqlite, slug)
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
        fill_events(pg, slug)
        with pg.connect() as conn:
            assert all(is_partitioned(conn, h.table) for h in HISTORY)
        partitioned = reports(pg, slug)
        downgrade(pg, "0011")
        plain = reports(pg, slug)
    finally:
        pg.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
    assert [bool(r["ok"]) for r in expected[:4]] == [False, False, False, True]
    assert expected[4]["found"] == 60 and 0 < expected[8]["found"] + expected[9]["found"] < 60
    assert sum(bool(r.get("events")) for r in expected) == 60  # every finding's history
    assert any(r.get("entries", 0) > 0 for r in expected) and any(
        r.get("entries_today", 0) > 0 for r in expected
    )
    assert any(r["due"] for r in expected[:4]) and any(r["overdue"] for r in expected[:4])
    assert partitioned == expected
    assert plain == expected


EVENTS = ("finding_events", "gate_events")


def test_findings_events_and_gate_counts_are_partitioned_in_place(engine, db_url, tmp_path):
    """Migration 0014 on a database full of findings' history and counts: every row kept, each
    month in its partition, gate keys unique across months, photos keep their event's id; and
    back down to 0013 with the foreign key from photos again."""
    downgrade(engine, "0013")
    slug = fill(engine, tmp_path)
    fill_events(engine, slug)
    before = {t: all_rows(engine, t) for t in (*EVENTS, "photos")}
    assert len(before["finding_events"]) > 60 and len(before["gate_events"]) == 90
    upgrade(engine)
    assert {t: all_rows(engine, t) for t in before} == before
    with engine.connect() as conn:
        partitioned = [is_partitioned(conn, t) for t in EVENTS]
    if db_url.startswith("sqlite"):
        assert partitioned == [False, False]  # SQLite's migration changes nothing
        return
    assert partitioned == [True, True]
    with engine.connect() as conn:
        for t in EVENTS:
            assert {Month.parse(m) for m in MONTHS} <= set(partitions(conn, history(t)))
            assert conn.execute(text(f"SELECT count(*) FROM {t}_default")).scalar_one() == 0
            october = conn.execute(text(f"SELECT count(*) FROM {t}_y2026m10")).scalar_one()
            assert 0 < october < len(before[t])
        keyed = conn.execute(
            text("SELECT count(*) FROM gate_events WHERE idempotency_key IS NOT NULL")
        ).scalar_one()
        assert keyed == 60
        assert conn.execute(text("SELECT count(*) FROM gate_keys")).scalar_one() == keyed
        fks = conn.execute(
            text("SELECT count(*) FROM pg_constraint WHERE confrelid = 'finding_events'::regclass")
        ).scalar_one()
        assert fks == 0  # no table refers to a partitioned table's id alone
        used, used_at = conn.execute(
            text("SELECT idempotency_key, at_s FROM gate_events WHERE idempotency_key IS NOT NULL")
        ).first()
    other_month = (
        used_at + 40 * 86400 if used_at < epoch("2026-10-15T00:00:00") else used_at - 40 * 86400
    )
    with pytest.raises(IntegrityError), engine.begin() as conn:  # a key stays unique across months
        conn.execute(
            text(
                "INSERT INTO gate_events (area_id, checkpoint_id, day, at_s, received_at_s, n_in, "
                "n_out, entered_by, override, idempotency_key, occupancy_after) SELECT area_id, "
                "checkpoint_id, day, :at, :at, 1, 0, 'x', false, :k, 1 FROM gate_events LIMIT 1"
            ),
            {"at": other_month, "k": used},
        )
    downgrade(engine, "0013")  # and back: plain tables with every row, the photos' foreign key
    assert {t: all_rows(engine, t) for t in before} == before
    with engine.connect() as conn:
        assert not any(is_partitioned(conn, t) for t in EVENTS)
        assert is_partitioned(conn, "rounds")
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("UPDATE photos SET event_id = 999999"))


def test_an_archived_month_holds_its_rounds_findings_events_and_gate_counts(engine, pg, tmp_path):
    slug = fill(engine, tmp_path)
    fill_events(engine, slug)
    tables = ("rounds", *EVENTS)
    before = {t: all_rows(engine, t) for t in (*tables, "photos")}
    cut = epoch("2026-11-01T00:00:00")
    with engine.connect() as conn:
        late = {
            t: [tuple(r) for r in conn.execute(
                text(f"SELECT * FROM {t} WHERE at_s >= :c ORDER BY id"), {"c": cut}
            )]
            for t in tables
        }  # fmt: skip
    archived = archive_before(engine, "2026-11", tmp_path / "old.jsonl.gz")
    assert [(a.table, a.month) for a in archived] == [
        (t, m) for t in tables for m in ("2026-09", "2026-10")
    ]
    for t in tables:
        kept = late[t]
        assert all_rows(engine, t) == kept and 0 < len(kept) < len(before[t])
        gone = sum(a.rows for a in archived if a.table == t)
        assert gone == len(before[t]) - len(kept)
    # the photo of a September event stays (its finding is not history); its event is in the file
    assert all_rows(engine, "photos") == before["photos"]
    with engine.connect() as conn:
        assert (
            conn.execute(
                text("SELECT count(*) FROM gate_keys WHERE at_s < :c"), {"c": cut}
            ).scalar_one()
            == 0
        )
    restored = restore_archive(engine, tmp_path / "old.jsonl.gz")
    assert restored == archived
    assert {t: all_rows(engine, t) for t in before} == before
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM gate_keys")).scalar_one() == 60
    made = create_months_ahead(engine, ahead=1, today=date(2027, 5, 1))
    assert [m.table for m in made] == list(tables)
    assert all(m.created == [f"{m.table}_y2027m05", f"{m.table}_y2027m06"] for m in made)
