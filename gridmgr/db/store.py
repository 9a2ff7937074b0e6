"""The database: engines for SQLite (default) and PostGIS, one-transaction writes, migrations, bulk cell I/O.

Everything that differs between SQLite and PostgreSQL lives here.
"""

from __future__ import annotations

import os
import threading
import typing
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    String,
    Table,
    cast,
    create_engine,
    event,
    func,
    insert,
    make_url,
    select,
    text,
)
from sqlalchemy.exc import InternalError, OperationalError
from sqlalchemy.orm import Session

from gridmgr.db.models import Base, Cell
from gridmgr.errors import DatabaseUnavailable, DiskFull, InvalidInput
from gridmgr.geometry.shapes import check_cells

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
INSERT_CHUNK = 5_000
# a PostgreSQL server that takes the connection but never answers (hung, or behind a dead network
# path) costs a request this long and a 503, instead of holding a server thread for minutes
CONNECT_TIMEOUT_S = 10


def database_url(url: str | None = None, *, env: Mapping[str, str] | None = None) -> str:
    """The URL to use: the one given, else GRIDMGR_DATABASE_URL, else a SQLite file in the instance folder."""
    env = os.environ if env is None else env
    url = url or env.get("GRIDMGR_DATABASE_URL")
    if url:
        return url
    instance = Path(env.get("GRIDMGR_INSTANCE", "instance"))
    return f"sqlite:///{(instance / 'gridmgr.db').resolve()}"


def make_engine(url: str | None = None) -> Engine:
    """An engine for the URL; SQLite files get WAL, foreign keys, a busy timeout and write-locking BEGINs."""
    url = database_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if (
            path and path != ":memory:" and not path.startswith("file:")
        ):  # file: URIs name their own
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        _sqlite_pragmas(engine)
        return engine
    if url.startswith("postgresql"):
        given = make_url(url).query
        timeout = {} if "connect_timeout" in given else {"connect_timeout": CONNECT_TIMEOUT_S}
        return create_engine(url, pool_pre_ping=True, connect_args=timeout)
    raise InvalidInput(
        f"unsupported database URL {url!r}: use sqlite:///FILE or postgresql+psycopg://…"
    )


READS_ONLY = "gridmgr_reads_only"  # an execution option: this connection's transaction only reads


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        # a write takes the write lock at the start, so two writers queue instead of failing
        # half-way; a read does not take it (WAL: readers see the last commit and never wait)
        reads = conn.get_execution_options().get(READS_ONLY, False)
        conn.exec_driver_sql("BEGIN" if reads else "BEGIN IMMEDIATE")


def is_postgres(engine: Engine) -> bool:
    """True when the engine talks to PostgreSQL/PostGIS."""
    return engine.dialect.name == "postgresql"


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A session whose work is committed as one transaction, or rolled back entirely on any error."""
    with (
        _writer_turn(engine),
        _database_faults(engine),
        Session(engine, expire_on_commit=False) as session,
        session.begin(),
    ):
        yield session


_WRITERS: dict[str, threading.RLock] = {}
_WRITERS_LOCK = threading.Lock()


@contextmanager
def _writer_turn(engine: Engine) -> Iterator[None]:
    """On SQLite, this process's writers to one file take turns in the order they came (SQLite's
    busy handler would have them sleep and retry, and a few wait seconds); other databases: nothing."""
    if engine.dialect.name != "sqlite":
        yield
        return
    key = str(engine.url)
    with _WRITERS_LOCK:
        turn = _WRITERS.setdefault(key, threading.RLock())
    with turn:
        yield


@contextmanager
def reading(engine: Engine) -> Iterator[Session]:
    """A session for reads."""
    bind = engine.execution_options(**{READS_ONLY: True})
    with _database_faults(engine), Session(bind, expire_on_commit=False) as session:
        yield session


@contextmanager
def _database_faults(engine: Engine) -> Iterator[None]:
    """The database failing under us (read-only, disk full, gone) as DatabaseUnavailable, one line."""
    try:
        yield
    except (OperationalError, InternalError) as exc:
        raise database_fault(engine, exc) from None


SQLITE_FULL = 13  # "database or disk is full"
PG_DISK_FULL = "53100"  # "could not extend file …: No space left on device"


def database_fault(engine: Engine, exc: OperationalError | InternalError) -> DatabaseUnavailable:
    """The user's message for a database that failed under a request: DiskFull naming where to free
    space, else DatabaseUnavailable with the driver's one-line reason."""
    orig = exc.orig
    if getattr(orig, "sqlite_errorcode", None) == SQLITE_FULL or (
        getattr(orig, "sqlstate", None) == PG_DISK_FULL
    ):
        return DiskFull(
            f"the database's disk is full: free space on {_storage_of(engine)}, then try again; "
            "nothing was written"
        )
    reason = str(orig).strip().splitlines()[0] if orig is not None else str(exc)
    return DatabaseUnavailable(
        f"the database cannot take this now ({reason}); nothing was written — check that it is "
        "running, writable and has free disk space, then try again"
    )


def _storage_of(engine: Engine) -> str:
    """Where the database keeps its data, for a message: the SQLite file's folder, or the server."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return f"the disk holding {Path(url.database or '').resolve().parent}"
    return (
        f"the PostgreSQL server {url.host or 'localhost'}:{url.port or 5432} (its data directory)"
    )


def postgis_available(engine: Engine) -> bool:
    """True when the PostgreSQL server can create the postgis extension (its package is installed
    on the server; PostgreSQL alone does not have it)."""
    with engine.connect() as conn:
        found = conn.execute(
            text("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")
        ).first()
    return found is not None


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to the newest migration (creating it on an empty database), or to `revision`."""
    _migrate(engine, "upgrade", revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema back to an older migration, in one transaction (rows that fit it are kept)."""
    _migrate(engine, "downgrade", revision)


def _migrate(engine: Engine, direction: str, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        if is_postgres(engine) and not postgis_available(engine):
            url = engine.url
            raise DatabaseUnavailable(
                f"the PostgreSQL server {url.host or 'localhost'}:{url.port or 5432} has no "
                "PostGIS, which gridmgr's geometry columns need; "
                "install it on the server (Debian: apt-get install postgresql-15-postgis-3), or "
                "use the default SQLite database; nothing was written"
            )
        with engine.connect() as conn, sqlite_foreign_keys_off(conn), conn.begin():
            if is_postgres(engine):
                # servers starting at once each upgrade: one at a time, the others then find the
                # schema at head (SQLite's BEGIN IMMEDIATE queues them already)
                conn.execute(
                    text(
                        "SELECT pg_advisory_xact_lock(hashtext(current_schema() || "
                        "'.gridmgr.migrations'))"
                    )
                )
            cfg.attributes["connection"] = conn
            getattr(command, direction)(cfg, revision)
    except OperationalError as exc:
        raise InvalidInput(f"cannot open the database {engine.url!r}: {exc.orig}") from None


@contextmanager
def sqlite_foreign_keys_off(conn: Connection) -> Iterator[None]:
    """SQLite's way to change a table (copy, drop, rename; what Alembic's batch mode does): foreign keys
    off around the migration's transaction, so dropping the old copy cascades to nothing, then checked
    whole before they are on again. PostgreSQL alters tables in place: nothing to do."""
    if conn.dialect.name != "sqlite":
        yield
        return
    raw = conn.connection.dbapi_connection
    assert raw is not None
    raw.execute("PRAGMA foreign_keys=OFF")  # outside a transaction, or SQLite ignores it
    try:
        yield
        broken = raw.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise InvalidInput(
                f"the database {conn.engine.url!r} has rows pointing at rows that do not exist "
                f"after the upgrade ({broken[:3]}); restore a backup and report it"
            )
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def schema_ready(engine: Engine) -> bool:
    """True when `gridmgr init` has created the tables."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1 FROM alembic_version"))
        return True
    except Exception:  # no table, no database: not initialised
        return False


def bulk_insert(session: Session, model: type[Base], rows: list[dict[str, Any]]) -> None:
    """Insert many rows through Core (executemany), in the session's transaction, skipping ORM bookkeeping."""
    if rows:
        # a declarative model's __table__ is a Table; the base class types it as any FROM clause
        table = typing.cast(Table, model.__table__)
        session.connection().execute(insert(table), rows)


def insert_if_missing(session: Session, model: type[Base], row: dict[str, Any]) -> None:
    """Insert a row unless one with the same unique key exists (INSERT … ON CONFLICT DO NOTHING on
    both databases), in the session's transaction: two writers creating it at once make one row."""
    table = typing.cast(Table, model.__table__)
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert  # type: ignore[assignment]  # the same construct for SQLite
    session.execute(dialect_insert(table).values(**row).on_conflict_do_nothing())


def greatest(session: Session, *values: Any) -> ColumnElement[Any]:
    """The largest of these SQL values (NULL if any is NULL): GREATEST on PostgreSQL, the
    many-argument MAX on SQLite."""
    if session.get_bind().dialect.name == "postgresql":
        return func.greatest(*values)
    return func.max(*values)


def raw_rows(session: Session, stmt: Select) -> Sequence[Any]:
    """The rows of a select as the driver gives them, skipping SQLAlchemy's result processing.

    A million rows through SQLAlchemy's result machinery take seconds; the driver's fetchall does not.
    The statement's parameters are inlined, so use it only for numbers the code made, never user text,
    and only for plain columns (no geometry).
    """
    sql = str(stmt.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(sql)
        return cursor.fetchall()
    finally:
        cursor.close()


def driver_rows(session: Session, stmt: Select) -> list[tuple[Any, ...]]:
    """The rows of a select as the driver's plain tuples, its parameters bound by the driver.

    SQLAlchemy's Row objects stay tracked by Python's garbage collector for as long as they live:
    the 10,000 of a plan's cells, read in a request, make it run full collections over the whole
    process (about 0.1 s each, every other request). The driver's tuples of numbers and text are
    untracked at the first collection. Plain columns only: no result processing (a geometry column
    gives WKB bytes through its column expression).
    """
    sql, args = _driver_statement(session, stmt)
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(sql, args)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def driver_row_chunks(
    session: Session, stmt: Select, size: int = 5_000
) -> Iterator[list[tuple[Any, ...]]]:
    """The rows of a select as `driver_rows` gives them, streamed `size` at a time (a server-side
    cursor on PostgreSQL; SQLite steps as it is read): memory holds one chunk however many rows."""
    sql, args = _driver_statement(session, stmt)
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.cursor(name=f"gridmgr_{uuid.uuid4().hex}")
    else:
        cursor = connection.connection.cursor()
    try:
        cursor.execute(sql, args)
        while rows := cursor.fetchmany(size):
            yield list(rows)
    finally:
        cursor.close()


def _driver_statement(session: Session, stmt: Select) -> tuple[str, Any]:
    """A select as the driver's SQL text and its parameters (a tuple or a dict, as the driver takes)."""
    compiled = stmt.compile(
        dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True}
    )
    params = compiled.construct_params()
    if compiled.positional:
        return compiled.string, tuple(params[k] for k in compiled.positiontup or ())
    return compiled.string, params


def int_rows(session: Session, stmt: Select) -> npt.NDArray[np.int64]:
    """The rows of a select of integer columns as an (n, k) int64 array.

    The database joins the numbers into one text, which numpy parses at C speed: a million rounds
    arrive in a fraction of the time it takes to build a million row tuples.
    """
    sub = stmt.subquery()
    cols = [cast(c, String) for c in sub.c]
    joined: ColumnElement[str] = cols[0]
    for c in cols[1:]:
        joined = joined + "," + c
    agg = (
        func.string_agg(joined, ",")
        if session.get_bind().dialect.name == "postgresql"
        else func.group_concat(joined, ",")
    )
    text_ = session.execute(select(agg)).scalar()
    flat = np.fromstring(text_, dtype=np.int64, sep=",") if text_ else np.zeros(0, np.int64)
    return flat.reshape(-1, len(cols))


def insert_cells(
    session: Session, plan_id: int, cells: gpd.GeoDataFrame, seqs: npt.NDArray[np.integer]
) -> npt.NDArray[np.int64]:
    """Write a plan's cells in bulk (in the caller's transaction) and return their new ids in order;
    an empty, flat or invalid cell is refused (InvalidInput) before anything is written."""
    geoms = np.asarray(cells.geometry.values)
    check_cells(geoms, cells["code"].to_numpy())
    wkb = shapely.to_wkb(geoms)
    boxes = shapely.bounds(geoms).tolist()
    weights = (
        [None if pd.isna(w) else float(w) for w in cells["weight"]]
        if "weight" in cells
        else [None] * len(cells)
    )
    rows = [
        {
            "plan_id": plan_id,
            "code": c,
            "seq": int(s),
            "area_m2": float(a),
            "geometry": g,
            "weight": w,
            "min_lon": b[0],
            "min_lat": b[1],
            "max_lon": b[2],
            "max_lat": b[3],
        }
        for c, s, a, g, w, b in zip(
            cells["code"], seqs, cells["area_m2"], wkb, weights, boxes, strict=True
        )
    ]
    for start in range(0, len(rows), INSERT_CHUNK):
        bulk_insert(session, Cell, rows[start : start + INSERT_CHUNK])
    ids = (
        session.execute(select(Cell.id).where(Cell.plan_id == plan_id).order_by(Cell.id))
        .scalars()
        .all()
    )
    return np.asarray(ids, dtype=np.int64)


def load_cells(session: Session, plan_id: int, *, geometry: bool = True) -> gpd.GeoDataFrame:
    """A plan's cells as a GeoDataFrame (id, code, seq, area_m2, geometry) in EPSG:4326, in code order;
    with a ``weight`` column too when the plan was made with a weight.

    With geometry=False the geometry column is left empty (None), for reports that need no shapes.
    """
    columns = [Cell.id, Cell.code, Cell.seq, Cell.area_m2, Cell.weight]
    columns += [Cell.geometry] if geometry else []
    rows = driver_rows(session, select(*columns).where(Cell.plan_id == plan_id).order_by(Cell.seq))
    if not rows:
        return gpd.GeoDataFrame(
            {"id": [], "code": [], "seq": [], "area_m2": []}, geometry=[], crs="EPSG:4326"
        )
    # by column (zip(*rows) would make an iterator per row, 10,000 objects for the collector)
    ids, codes, seqs, areas, weights, *wkb = ([r[k] for r in rows] for k in range(len(columns)))
    shapes = (
        shapely.from_wkb(np.asarray(wkb[0], dtype=object))
        if geometry
        else np.full(len(ids), None, dtype=object)
    )
    out = gpd.GeoDataFrame(
        {
            "id": np.asarray(ids, np.int64),
            "code": list(codes),
            "seq": np.asarray(seqs),
            "area_m2": np.asarray(areas),
        },
        geometry=shapes,
        crs="EPSG:4326",
    )
    if any(w is not None for w in weights):
        out.insert(4, "weight", [np.nan if w is None else float(w) for w in weights])
    return out


_GROUND_SQL = """
-- the cells table appears by name on both sides of the overlap join so the GiST index serves it (a
-- CTE used twice is materialised and would be compared all against all)
WITH u AS (SELECT ST_Union(geometry) AS g FROM cells WHERE plan_id = :plan),
     o AS (SELECT ST_Union(ST_Intersection(x.geometry, y.geometry)) AS g
           FROM cells x JOIN cells y ON x.geometry && y.geometry AND x.id < y.id
           WHERE x.plan_id = :plan AND y.plan_id = :plan AND ST_Overlaps(x.geometry, y.geometry))
SELECT ST_AsBinary(COALESCE(ST_Difference(a.geometry, u.g), a.geometry)),
       ST_AsBinary(COALESCE(o.g, 'POLYGON EMPTY'::geometry))
FROM areas a, u, o WHERE a.id = :area
"""


def gaps_and_overlaps_in_db(
    session: Session, area_id: int, plan_id: int
) -> tuple[BaseGeometry, BaseGeometry]:
    """On PostGIS: the land no cell covers and the land two cells share, worked out in the database (GiST join)."""
    gaps, overlaps = session.execute(text(_GROUND_SQL), {"plan": plan_id, "area": area_id}).one()
    return shapely.from_wkb(bytes(gaps)), shapely.from_wkb(bytes(overlaps))
