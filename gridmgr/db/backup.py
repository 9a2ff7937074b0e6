"""Backups of the whole database and restoring them: SQLite's online backup, pg_dump/pg_restore for PostGIS.

What differs between the two databases lives here, beside store.py.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from gridmgr.db.store import is_postgres, upgrade
from gridmgr.errors import InvalidInput, NotFound

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


def backup_database(engine: Engine, path: str | Path) -> dict:
    """Write a consistent copy of the whole database to `path` while it stays in use."""
    path = Path(path)
    if path.is_dir():
        raise InvalidInput(f"{path} is a folder; name the backup file to write")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    try:
        if is_postgres(engine):
            _pg(
                "pg_dump",
                ["--format=custom", "--no-owner", *_schema_args(engine), "-f", str(tmp)],
                engine,
            )
        else:
            _sqlite_copy(_sqlite_path(engine), str(tmp))  # consistent, while others keep writing
        tmp.replace(path)  # a backup is there whole or not at all
    finally:
        tmp.unlink(missing_ok=True)
    return {"backup": str(path), "bytes": path.stat().st_size, "database": engine.dialect.name}


def restore_database(engine: Engine, path: str | Path) -> dict:
    """Replace the database's content by a backup's, in one transaction, then upgrade its schema."""
    path = Path(path)
    if not path.is_file():
        raise NotFound(f"no backup file {path}")
    head = path.open("rb").read(16)
    if is_postgres(engine):
        if not head.startswith(PGDUMP_MAGIC):
            raise InvalidInput(
                f"{path} is not a PostGIS backup of gridmgr (made by gridmgr backup)"
            )
        _pg_restore(engine, path)
    else:
        if head != SQLITE_MAGIC:
            raise InvalidInput(f"{path} is not a SQLite backup of gridmgr (made by gridmgr backup)")
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as src:
            ours = src.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'"
            ).fetchone()
        if not ours:
            raise InvalidInput(f"{path} is a SQLite file but not a gridmgr database")
        engine.dispose()
        _sqlite_copy(str(path), _sqlite_path(engine))  # the target's pages replaced as one write
    engine.dispose()  # pooled connections still see the old schema and pages
    upgrade(engine)  # an older backup comes up to this version's schema
    return {"restored": str(path), "database": engine.dialect.name}


def _sqlite_copy(source: str, target: str) -> None:
    """SQLite's online backup from one database file into another."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def _sqlite_path(engine: Engine) -> str:
    db = engine.url.database
    if not db or db == ":memory:":
        raise InvalidInput("an in-memory database has nothing to back up")
    return db


def _libpq_url(engine: Engine) -> str:
    """The engine's URL as libpq takes it (no +driver, no SQLAlchemy-only parts, password kept)."""
    url = make_url(engine.url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _schema_args(engine: Engine) -> list[str]:
    """--schema for a database whose URL sets a search_path (as the tests' per-test schemas do)."""
    options = engine.url.query.get("options", "")
    for part in " ".join([options] if isinstance(options, str) else options).split():
        if part.startswith("-csearch_path="):
            return [f"--schema={part.split('=', 1)[1].split(',')[0]}"]
    return []


def _pg_restore(engine: Engine, path: Path) -> None:
    """pg_restore's script run by psql in one transaction, after the partitioned history tables are
    dropped with their partitions: pg_restore --clean alone would drop each partition's primary key
    before the parent's, which PostgreSQL refuses (the partition inherits it)."""
    from gridmgr.db.partitions import HISTORY

    restore, psql = _tool("pg_restore"), _tool("psql")
    prelude = "; ".join(f"DROP TABLE IF EXISTS {h.table} CASCADE" for h in HISTORY)
    script = subprocess.Popen(
        [restore, "--clean", "--if-exists", "--no-owner", *_schema_args(engine), "-f", "-", str(path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert script.stdout is not None
    run = subprocess.run(
        [psql, "--no-psqlrc", "--quiet", "--single-transaction", "-v", "ON_ERROR_STOP=1",
         "-c", prelude, "-f", "-", "-d", _libpq_url(engine)],
        stdin=script.stdout, capture_output=True, text=True,
    )  # fmt: skip
    script.stdout.close()
    made = script.communicate()[1].decode(errors="replace")
    if script.returncode != 0:
        raise InvalidInput(f"pg_restore failed: {made.strip()[-500:]}")
    if run.returncode != 0:
        raise InvalidInput(f"pg_restore failed: {run.stderr.strip()[-500:]}")


def _tool(name: str) -> str:
    exe = shutil.which(name)
    if exe is None:
        raise InvalidInput(
            f"{name} is not installed; it comes with PostgreSQL's client (postgresql-client)"
        )
    return exe


def _pg(tool: str, args: list[str], engine: Engine | None) -> None:
    exe = shutil.which(tool)
    if exe is None:
        raise InvalidInput(
            f"{tool} is not installed; it comes with PostgreSQL's client (postgresql-client)"
        )
    cmd = [exe, *args] + ([_libpq_url(engine)] if engine is not None else [])
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise InvalidInput(f"{tool} failed: {done.stderr.strip()[-500:]}")
