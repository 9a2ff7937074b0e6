"""History tables partitioned by month on PostgreSQL (declarative `PARTITION BY RANGE` on an epoch-
seconds column): making a table partitioned in place, creating months ahead, archiving old months to
a file and bringing them back. SQLite keeps history in plain tables; every function here says so.

A partitioned table's unique constraints must contain the partition key, so a column that must stay
unique across every month (a round's Idempotency-Key) moves to a small keys table of its own, kept by
triggers on the history table: an insert with a key already used anywhere fails with a unique
violation, exactly as the plain table's UNIQUE did, and the services' handling of that race holds.
The column keeps a plain (not unique) index on the partitioned table, so a lookup by key probes one
index per month instead of reading every row.

Nor can a partitioned table be the target of a foreign key on `id` alone. Photos name the finding
event they belong to (`photos.event_id`): on a partitioned database that stays a plain column with
no foreign key, so archiving a month of finding events keeps the photos (their finding, which is not
history, keeps them by its own foreign key) and restoring the month joins them up again. Deleting a
finding still deletes its events and its photos together (both cascade from `findings`).
"""

from __future__ import annotations

import gzip
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import IntegrityError

from gridmgr.errors import InvalidInput

ARCHIVE_FORMAT = "gridmgr-archive/1"
RESTORE_BATCH = 5_000


@dataclass(frozen=True)
class History:
    """A table partitioned by month: its name, the epoch-seconds column it is partitioned on, and a
    column unique across all partitions (kept in `keys_table` by triggers), if any."""

    table: str
    at: str
    unique: str | None = None
    keys_table: str | None = None
    # (table, column, ON DELETE action) of the foreign keys to this table's id: dropped while it is
    # partitioned, made again (dangling ids set to NULL) when it is plain again
    referenced_by: tuple[tuple[str, str, str], ...] = ()

    @property
    def key_index(self) -> str | None:
        """The plain index on the unique column of the partitioned table (lookups by key)."""
        return f"ix_{self.table}_{self.unique}" if self.unique else None


# the history tables partitioned on PostgreSQL: rounds (migration 0012), findings' events and
# checkpoint counts (0014), archived and restored together month by month
HISTORY = (
    History("rounds", "at_s", unique="idempotency_key", keys_table="round_keys"),
    History("finding_events", "at_s", referenced_by=(("photos", "event_id", "SET NULL"),)),
    History("gate_events", "at_s", unique="idempotency_key", keys_table="gate_keys"),
)


def history(table: str) -> History:
    """The History entry of a table."""
    return next(h for h in HISTORY if h.table == table)


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month in UTC; partitions hold [start, end) in epoch seconds."""

    year: int
    month: int

    @classmethod
    def parse(cls, text_: str) -> Month:
        """YYYY-MM, or InvalidInput saying what is expected."""
        found = re.fullmatch(r"(\d{4})-(\d{2})", text_.strip())
        if not found or not 1 <= int(found[2]) <= 12:
            raise InvalidInput(f"{text_!r} is not a month; write it as YYYY-MM, e.g. 2026-01")
        return cls(int(found[1]), int(found[2]))

    @classmethod
    def of(cls, epoch_s: float) -> Month:
        """The month an epoch-seconds moment falls in (UTC)."""
        moment = datetime.fromtimestamp(epoch_s, UTC)
        return cls(moment.year, moment.month)

    def next(self, k: int = 1) -> Month:
        """The month k months later."""
        n = self.year * 12 + self.month - 1 + k
        return Month(n // 12, n % 12 + 1)

    @property
    def start_s(self) -> int:
        return int(datetime(self.year, self.month, 1, tzinfo=UTC).timestamp())

    @property
    def end_s(self) -> int:
        return self.next().start_s

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def partition_name(h: History, month: Month) -> str:
    """The partition of a month: rounds_y2026m11."""
    return f"{h.table}_y{month.year:04d}m{month.month:02d}"


def default_name(h: History) -> str:
    """The partition of rows no month partition takes (a backfill into a month not yet made)."""
    return f"{h.table}_default"


def is_partitioned(conn: Connection, table: str) -> bool:
    """True when the table is a partitioned table (PostgreSQL)."""
    if conn.dialect.name != "postgresql":
        return False
    found = conn.execute(
        text("SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(:t)"), {"t": table}
    ).first()
    return found is not None


def partitions(conn: Connection, h: History) -> dict[Month, str]:
    """The month partitions of a history table, by month (the default partition left out)."""
    names = conn.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(:t)"
        ),
        {"t": h.table},
    ).scalars()
    found = {}
    for name in names:
        m = re.fullmatch(rf"{re.escape(h.table)}_y(\d{{4}})m(\d{{2}})", name)
        if m:
            found[Month(int(m[1]), int(m[2]))] = name
    return found


# --- the migration: a plain table made partitioned in place, and back ---------------------------


def make_partitioned(conn: Connection, h: History, *, today: date | None = None) -> None:
    """Turn the plain table into one partitioned by month, in the caller's transaction, keeping
    every row, column, default, index and foreign key: the new table is created beside it with
    partitions for every month present (and this month and the next two), the rows copied, the old
    table dropped and the new one renamed into its place."""
    t, new = h.table, f"{h.table}__partitioned"
    pk = _primary_key_name(conn, t)
    fks = _foreign_keys(conn, t)
    indexes = _plain_indexes(conn, t)
    for source, name in _foreign_keys_to(conn, t):
        conn.execute(text(f"ALTER TABLE {source} DROP CONSTRAINT {name}"))
    seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": t}).scalar()
    if seq:
        conn.execute(text(f"ALTER SEQUENCE {seq} OWNED BY NONE"))
    conn.execute(
        text(
            f"CREATE TABLE {new} (LIKE {t} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
            f"INCLUDING GENERATED) PARTITION BY RANGE ({h.at})"
        )
    )
    present = conn.execute(text(f"SELECT DISTINCT {h.at} / 86400 FROM {t}")).scalars()
    months = {Month.of(day * 86400) for day in present}
    this = Month.of(_epoch(today))
    months |= {this, this.next(), this.next(2)}
    for month in sorted(months):
        _create_partition(conn, h, month, parent=new)
    conn.execute(text(f"CREATE TABLE {default_name(h)} PARTITION OF {new} DEFAULT"))
    conn.execute(text(f"INSERT INTO {new} SELECT * FROM {t}"))
    conn.execute(text(f"DROP TABLE {t}"))
    conn.execute(text(f"ALTER TABLE {new} RENAME TO {t}"))
    if seq:
        conn.execute(text(f"ALTER SEQUENCE {seq} OWNED BY {t}.id"))
    conn.execute(text(f"ALTER TABLE {t} ADD CONSTRAINT {pk} PRIMARY KEY (id, {h.at})"))
    for sql in indexes:
        conn.execute(text(sql))
    for name, definition in fks:
        conn.execute(text(f"ALTER TABLE {t} ADD CONSTRAINT {name} {definition}"))
    if h.unique and h.keys_table:
        _keys_table(conn, h)
        add_key_index(conn, h)


def add_key_index(conn: Connection, h: History) -> None:
    """The plain index on a partitioned table's unique column, if missing (migration 0014 adds it
    to rounds, partitioned by 0012 without it)."""
    if h.unique:
        conn.execute(text(f"CREATE INDEX IF NOT EXISTS {h.key_index} ON {h.table} ({h.unique})"))


def make_plain(conn: Connection, h: History) -> None:
    """Undo make_partitioned (the migration's downgrade): one plain table with every row, its
    unique column back as a UNIQUE constraint, the keys table and its triggers gone."""
    t, old = h.table, f"{h.table}__plain"
    pk = _primary_key_name(conn, t)
    fks = _foreign_keys(conn, t)
    indexes = [sql for sql in _plain_indexes(conn, t) if f" {h.key_index} " not in sql]
    seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": t}).scalar()
    if seq:
        conn.execute(text(f"ALTER SEQUENCE {seq} OWNED BY NONE"))
    conn.execute(text(f"CREATE TABLE {old} (LIKE {t} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"))
    conn.execute(text(f"INSERT INTO {old} SELECT * FROM {t}"))
    conn.execute(text(f"DROP TABLE {t} CASCADE"))  # its partitions and triggers with it
    conn.execute(text(f"ALTER TABLE {old} RENAME TO {t}"))
    if seq:
        conn.execute(text(f"ALTER SEQUENCE {seq} OWNED BY {t}.id"))
    conn.execute(text(f"ALTER TABLE {t} ADD CONSTRAINT {pk} PRIMARY KEY (id)"))
    for sql in indexes:
        conn.execute(text(sql))
    for name, definition in fks:
        conn.execute(text(f"ALTER TABLE {t} ADD CONSTRAINT {name} {definition}"))
    if h.unique and h.keys_table:
        conn.execute(text(f"ALTER TABLE {t} ADD CONSTRAINT {t}_{h.unique}_key UNIQUE ({h.unique})"))
        conn.execute(text(f"DROP TABLE {h.keys_table}"))
        for fn in ("added", "changed", "removed"):
            conn.execute(text(f"DROP FUNCTION IF EXISTS {h.keys_table}_{fn}()"))
    for source, column, on_delete in h.referenced_by:  # ids of archived rows point nowhere now
        conn.execute(
            text(
                f"UPDATE {source} SET {column} = NULL WHERE {column} IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM {t} WHERE {t}.id = {source}.{column})"
            )
        )
        conn.execute(
            text(
                f"ALTER TABLE {source} ADD CONSTRAINT {source}_{column}_fkey FOREIGN KEY "
                f"({column}) REFERENCES {t}(id) ON DELETE {on_delete}"
            )
        )


def _primary_key_name(conn: Connection, table: str) -> str:
    return conn.execute(
        text(
            "SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(:t) AND contype = 'p'"
        ),
        {"t": table},
    ).scalar_one()


def _foreign_keys(conn: Connection, table: str) -> list[tuple[str, str]]:
    rows = conn.execute(
        text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = to_regclass(:t) AND contype = 'f' ORDER BY conname"
        ),
        {"t": table},
    ).all()
    return [(str(name), str(definition)) for name, definition in rows]


def _foreign_keys_to(conn: Connection, table: str) -> list[tuple[str, str]]:
    """(table, constraint) of the foreign keys of other tables to this one."""
    rows = conn.execute(
        text(
            "SELECT conrelid::regclass::text, conname FROM pg_constraint "
            "WHERE confrelid = to_regclass(:t) AND contype = 'f' AND conrelid <> confrelid "
            "ORDER BY 1, 2"
        ),
        {"t": table},
    ).all()
    return [(str(source), str(name)) for source, name in rows]


def _plain_indexes(conn: Connection, table: str) -> list[str]:
    """CREATE INDEX statements of the table's indexes that back no constraint, dropped with it."""
    rows = conn.execute(
        text(
            "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid = to_regclass(:t) AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1"
        ),
        {"t": table},
    ).scalars()
    return [str(sql) for sql in rows]


def _keys_table(conn: Connection, h: History) -> None:
    """The keys table of a partitioned history table, filled from its rows and kept by triggers."""
    k, t, u = h.keys_table, h.table, h.unique
    conn.execute(
        text(
            f"CREATE TABLE {k} ({u} varchar(80) PRIMARY KEY, row_id integer NOT NULL, "
            f"{h.at} bigint NOT NULL)"
        )
    )
    conn.execute(text(f"INSERT INTO {k} SELECT {u}, id, {h.at} FROM {t} WHERE {u} IS NOT NULL"))
    add = f"INSERT INTO {k} ({u}, row_id, {h.at}) VALUES (NEW.{u}, NEW.id, NEW.{h.at})"
    remove = f"DELETE FROM {k} WHERE {u} = OLD.{u} AND row_id = OLD.id"
    bodies = {
        "added": f"IF NEW.{u} IS NOT NULL THEN {add}; END IF;",
        "removed": f"IF OLD.{u} IS NOT NULL THEN {remove}; END IF;",
        "changed": (
            f"IF OLD.{u} IS NOT NULL THEN {remove}; END IF; "
            f"IF NEW.{u} IS NOT NULL THEN {add}; END IF;"
        ),
    }
    for fn, body in bodies.items():
        conn.execute(
            text(
                f"CREATE FUNCTION {k}_{fn}() RETURNS trigger LANGUAGE plpgsql AS "
                f"$$ BEGIN {body} RETURN NULL; END $$"
            )
        )
    conn.execute(
        text(
            f"CREATE TRIGGER {k}_added AFTER INSERT ON {t} FOR EACH ROW EXECUTE FUNCTION {k}_added()"
        )
    )
    conn.execute(
        text(
            f"CREATE TRIGGER {k}_changed AFTER UPDATE OF {u}, id, {h.at} ON {t} FOR EACH ROW "
            f"EXECUTE FUNCTION {k}_changed()"
        )
    )
    conn.execute(
        text(
            f"CREATE TRIGGER {k}_removed AFTER DELETE ON {t} FOR EACH ROW "
            f"EXECUTE FUNCTION {k}_removed()"
        )
    )


def _create_partition(conn: Connection, h: History, month: Month, *, parent: str) -> None:
    conn.execute(
        text(
            f"CREATE TABLE {partition_name(h, month)} PARTITION OF {parent} "
            f"FOR VALUES FROM ({month.start_s}) TO ({month.end_s})"
        )
    )


def _epoch(day: date | None) -> float:
    day = day or datetime.now(UTC).date()
    return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()


# --- gridmgr maintain: months made ahead ---------------------------------------------------------


@dataclass(frozen=True)
class Maintained:
    """What `gridmgr maintain` did to one history table."""

    table: str
    created: list[str]
    moved_from_default: int
    months_kept: int


def create_months_ahead(
    engine: Engine, *, ahead: int = 3, today: date | None = None
) -> list[Maintained]:
    """Partitions for this month and `ahead` months after it, for every history table, made if
    missing (idempotent; safe from cron on several machines at once: one runs, the others wait and
    find nothing to do). Rows of a new month already in the default partition move into it. On
    SQLite, or on a table not partitioned, nothing is done (an empty list)."""
    done: list[Maintained] = []
    if engine.dialect.name != "postgresql":
        return done
    this = Month.of(_epoch(today))
    with engine.begin() as conn:
        _lock(conn)
        for h in HISTORY:
            if not is_partitioned(conn, h.table):
                continue
            have = partitions(conn, h)
            created, moved = [], 0
            for month in (this.next(k) for k in range(ahead + 1)):
                if month not in have:
                    moved += _add_month(conn, h, month)
                    created.append(partition_name(h, month))
            done.append(Maintained(h.table, created, moved, len(have) + len(created)))
    return done


def _lock(conn: Connection) -> None:
    """One maintainer at a time per schema (the others wait for it, then find the work done)."""
    conn.execute(
        text("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.gridmgr.partitions'))")
    )


def _add_month(conn: Connection, h: History, month: Month) -> int:
    """Make a month's partition; rows of that month in the default partition move into it (a new
    partition may not overlap rows the default one holds). The number of rows moved."""
    default, moving = default_name(h), f"{h.table}__moving"
    span = {"a": month.start_s, "b": month.end_s}
    waiting = conn.execute(
        text(f"SELECT count(*) FROM {default} WHERE {h.at} >= :a AND {h.at} < :b"), span
    ).scalar_one()
    if waiting:
        conn.execute(text(f"CREATE TEMP TABLE {moving} (LIKE {h.table})"))
        conn.execute(
            text(
                f"WITH gone AS (DELETE FROM {default} WHERE {h.at} >= :a AND {h.at} < :b "
                f"RETURNING *) INSERT INTO {moving} SELECT * FROM gone"
            ),
            span,
        )
    _create_partition(conn, h, month, parent=h.table)
    if waiting:
        conn.execute(text(f"INSERT INTO {h.table} SELECT * FROM {moving}"))
        conn.execute(text(f"DROP TABLE {moving}"))
    return int(waiting)


# --- gridmgr archive / restore-archive -----------------------------------------------------------


@dataclass(frozen=True)
class ArchivedMonth:
    """A month of a history table written to (or read from) an archive file."""

    table: str
    month: str
    rows: int


def archive_before(engine: Engine, before: str, out: Path) -> list[ArchivedMonth]:
    """Write every row of the history tables before month `before` (YYYY-MM) to `out` (gzip'd JSON
    lines: a header, then per table and month a line naming them and one line per row), then drop
    those months' partitions (and such rows from the default partition), in one transaction: the
    file is complete on disk before anything is dropped, and nothing is dropped if writing fails."""
    cutoff = Month.parse(before)
    if engine.dialect.name != "postgresql":
        raise InvalidInput(
            "archiving months needs PostgreSQL: on SQLite the history is one table "
            "(use 'gridmgr backup' to keep a copy)"
        )
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    written: list[ArchivedMonth] = []
    with engine.begin() as conn:
        _lock(conn)
        histories = [h for h in HISTORY if is_partitioned(conn, h.table)]
        if not histories:
            raise InvalidInput("no history table is partitioned here; run 'gridmgr init' first")
        try:
            with gzip.open(tmp, "wt", encoding="utf-8") as f:
                f.write(json.dumps({"format": ARCHIVE_FORMAT, "before": str(cutoff)}) + "\n")
                for h in histories:
                    # no writes to the table while its months are read and dropped
                    conn.execute(text(f"LOCK TABLE {h.table} IN SHARE ROW EXCLUSIVE MODE"))
                    for month, rows in _months_before(conn, h, cutoff):
                        f.write(
                            json.dumps({"table": h.table, "month": str(month), "rows": len(rows)})
                            + "\n"
                        )
                        for row in rows:
                            f.write(row + "\n")
                        written.append(ArchivedMonth(h.table, str(month), len(rows)))
                f.flush()
                os.fsync(f.fileno())
            for h in histories:
                _drop_before(conn, h, cutoff)
            os.replace(tmp, out)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    return written


def _months_before(
    conn: Connection, h: History, cutoff: Month
) -> Iterator[tuple[Month, list[str]]]:
    """Each month before the cutoff that has rows, with its rows as JSON texts (the database's own
    row_to_json, so every column type comes back through json_populate_recordset)."""
    months = conn.execute(
        text(f"SELECT DISTINCT {h.at} / 86400 FROM {h.table} WHERE {h.at} < :cut"),
        {"cut": cutoff.start_s},
    ).scalars()
    for month in sorted({Month.of(day * 86400) for day in months}):
        rows = conn.execute(
            text(
                f"SELECT row_to_json(r)::text FROM {h.table} r "
                f"WHERE {h.at} >= :a AND {h.at} < :b ORDER BY id"
            ),
            {"a": month.start_s, "b": min(month.end_s, cutoff.start_s)},
        ).scalars()
        yield month, [str(r) for r in rows]


def _drop_before(conn: Connection, h: History, cutoff: Month) -> None:
    for month, name in sorted(partitions(conn, h).items()):
        if month < cutoff:
            conn.execute(text(f"ALTER TABLE {h.table} DETACH PARTITION {name}"))
            conn.execute(text(f"DROP TABLE {name}"))
    # rows of old months that no partition held (backfills), and the dropped rows' keys
    conn.execute(
        text(f"DELETE FROM {default_name(h)} WHERE {h.at} < :cut"), {"cut": cutoff.start_s}
    )
    if h.keys_table:
        conn.execute(
            text(f"DELETE FROM {h.keys_table} WHERE {h.at} < :cut"), {"cut": cutoff.start_s}
        )


def restore_archive(engine: Engine, path: Path) -> list[ArchivedMonth]:
    """Bring an archive file's months back, in one transaction: each month's partition is made again
    and its rows inserted as they were. A month still (or again) in the database is refused."""
    if engine.dialect.name != "postgresql":
        raise InvalidInput("restoring archived months needs PostgreSQL; this database is SQLite")
    restored: list[ArchivedMonth] = []
    try:
        with gzip.open(path, "rt", encoding="utf-8") as f, engine.begin() as conn:
            _lock(conn)
            head = _json_line(f.readline(), path, 1)
            if head.get("format") != ARCHIVE_FORMAT:
                raise InvalidInput(f"{path} is not a gridmgr archive (made by 'gridmgr archive')")
            line_no, section = 1, None
            batch: list[dict] = []
            for line in f:
                line_no += 1
                item = _json_line(line, path, line_no)
                if "table" in item and "month" in item and "rows" in item:
                    _insert(conn, section, batch, path)
                    section, batch = _open_month(conn, item, path), []
                    restored.append(ArchivedMonth(item["table"], item["month"], int(item["rows"])))
                elif section is None:
                    raise InvalidInput(f"{path}, line {line_no}: a row before any table and month")
                else:
                    batch.append(item)
                    if len(batch) >= RESTORE_BATCH:
                        _insert(conn, section, batch, path)
                        batch = []
            _insert(conn, section, batch, path)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise InvalidInput(f"cannot read the archive {path}: {exc}") from None
    return restored


def _json_line(line: str, path: Path, line_no: int) -> dict:
    try:
        item = json.loads(line)
    except json.JSONDecodeError:
        item = None
    if not isinstance(item, dict):
        raise InvalidInput(f"{path}, line {line_no}: not a line of a gridmgr archive")
    return item


def _open_month(conn: Connection, item: dict, path: Path) -> History:
    known = {h.table: h for h in HISTORY}
    if item["table"] not in known:
        raise InvalidInput(f"{path}: table {item['table']!r} is not a history table of gridmgr")
    h, month = known[item["table"]], Month.parse(str(item["month"]))
    if not is_partitioned(conn, h.table):
        raise InvalidInput(f"{h.table} is not partitioned here; run 'gridmgr init' first")
    if month in partitions(conn, h):
        there = conn.execute(text(f"SELECT count(*) FROM {partition_name(h, month)}")).scalar_one()
        if there:
            raise InvalidInput(
                f"{h.table} of {month} is in the database already ({there} rows); nothing restored"
            )
    else:
        _add_month(conn, h, month)
    return h


def _insert(conn: Connection, h: History | None, batch: list[dict], path: Path) -> None:
    if h is None or not batch:
        return
    try:
        with conn.begin_nested():
            conn.execute(
                text(
                    f"INSERT INTO {h.table} SELECT * FROM "
                    f"json_populate_recordset(NULL::{h.table}, CAST(:rows AS json))"
                ),
                {"rows": json.dumps(batch)},
            )
    except IntegrityError as exc:
        reason = str(exc.orig).strip().splitlines()[0]
        raise InvalidInput(
            f"{path}: its {h.table} do not fit this database ({reason}); nothing restored"
        ) from None
