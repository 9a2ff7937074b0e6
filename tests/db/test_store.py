"""The database layer: migrations match the models, SQLite settings, bulk cell I/O, rollback on error."""

from __future__ import annotations

import gc
import random
import re
import threading

import geopandas as gpd
import numpy as np
import pytest
import shapely
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import UniqueConstraint, func, literal, or_, select, text

from gridmgr.db.models import Area, Base, Cell, GridPlan
from gridmgr.db.partitions import HISTORY
from gridmgr.db.store import (
    database_url,
    driver_row_chunks,
    driver_rows,
    insert_cells,
    load_cells,
    make_engine,
    reading,
    schema_ready,
    transaction,
)
from gridmgr.errors import InvalidInput


@pytest.mark.filterwarnings("ignore:Did not recognize type 'geometry':sqlalchemy.exc.SAWarning")
def test_migrations_build_exactly_the_models(engine, db_url):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)

    def expected(d) -> bool:
        if d[0] == "remove_table" and d[1].name == "spatial_ref_sys":  # PostGIS's own table
            return True
        if db_url.startswith("postgresql") and partitioning_by_design(d):
            return True
        # the GiST index exists on PostgreSQL only, by design
        return (
            d[0] == "add_index"
            and d[1].name == "ix_cells_geometry_gist"
            and db_url.startswith("sqlite")
        )

    assert [d for d in diff if not expected(d)] == []
    assert schema_ready(engine)


def partitioning_by_design(d) -> bool:
    """What PostgreSQL's partitioned history adds to the models (gridmgr.db.partitions): the months'
    partitions and their indexes, the keys tables and the plain index on each key column, a unique
    column kept there instead of by a UNIQUE constraint (a partitioned table's constraints must
    contain the partition key), and no foreign key to a partitioned table's id (photos.event_id)."""
    months = "|".join(h.table for h in HISTORY)
    partition = re.compile(rf"({months})_(y\d{{4}}m\d{{2}}|default)")
    if d[0] == "remove_table":
        return bool(partition.fullmatch(d[1].name)) or d[1].name in {h.keys_table for h in HISTORY}
    if d[0] == "remove_index":
        keyed = {h.key_index for h in HISTORY}
        return bool(partition.fullmatch(d[1].table.name)) or d[1].name in keyed
    if d[0] == "add_fk":
        referenced = {(s, c, h.table) for h in HISTORY for s, c, _ in h.referenced_by}
        return (d[1].parent.name, *d[1].column_keys, d[1].referred_table.name) in referenced
    if d[0] == "add_constraint" and isinstance(d[1], UniqueConstraint):
        unique = {(h.table, h.unique) for h in HISTORY}
        return {(d[1].table.name, c.name) for c in d[1].columns} <= unique
    return False


def test_cells_round_trip_through_the_database(engine):
    cells = gpd.GeoDataFrame(
        {"code": ["A-1", "A-2"], "area_m2": [1.5, 2.5]},
        geometry=[
            shapely.box(120, 30, 120.001, 30.001),
            shapely.Polygon([(120, 30), (120.001, 30), (120, 30.001)]),
        ],
        crs="EPSG:4326",
    )
    with transaction(engine) as s:
        area = Area(
            slug="a", name="A", geometry=shapely.to_wkb(shapely.box(120, 30, 121, 31)), area_m2=1.0
        )
        s.add(area)
        s.flush()
        plan = GridPlan(area_id=area.id, version=1, active=True, mode="test")
        s.add(plan)
        s.flush()
        ids = insert_cells(s, plan.id, cells, np.array([1, 2]))
        plan_id = plan.id
    assert len(ids) == 2
    with reading(engine) as s:
        back = load_cells(s, plan_id)
    assert list(back["code"]) == ["A-1", "A-2"]
    assert all(
        shapely.equals_exact(a, b, 0) for a, b in zip(back.geometry, cells.geometry, strict=True)
    )


def test_an_empty_or_invalid_cell_is_never_stored(engine):
    """The last guard of every plan write (grid, import, restore): the transaction writes nothing."""
    good = shapely.box(120, 30, 120.001, 30.001)
    bowtie = shapely.Polygon([(120, 30), (120.001, 30.001), (120.001, 30), (120, 30.002)])
    for bad, fault in [(shapely.Polygon(), "empty"), (bowtie, "not valid")]:
        cells = gpd.GeoDataFrame(
            {"code": ["A-1", "A-2"], "area_m2": [1.0, 1.0]}, geometry=[good, bad], crs="EPSG:4326"
        )
        with (
            pytest.raises(InvalidInput, match=f"cell A-2 came out {fault}"),
            transaction(engine) as s,
        ):
            area = Area(slug="a", name="A", geometry=shapely.to_wkb(good), area_m2=1.0)
            s.add(area)
            s.flush()
            plan = GridPlan(area_id=area.id, version=1, active=True, mode="test")
            s.add(plan)
            s.flush()
            insert_cells(s, plan.id, cells, np.array([1, 2]))
        with reading(engine) as s:
            assert s.execute(select(func.count()).select_from(Cell)).scalar() == 0
            assert s.execute(select(func.count()).select_from(Area)).scalar() == 0


def test_a_failed_write_leaves_nothing(engine):
    with pytest.raises(RuntimeError), transaction(engine) as s:
        s.add(
            Area(slug="b", name="B", geometry=shapely.to_wkb(shapely.box(0, 0, 1, 1)), area_m2=1.0)
        )
        s.flush()
        raise RuntimeError("crash half-way")
    with reading(engine) as s:
        assert s.execute(select(func.count()).select_from(Area)).scalar() == 0


def test_postgis_stores_real_geometry_with_a_gist_index(engine, db_url):
    if not db_url.startswith("postgresql"):
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        return
    with engine.connect() as conn:
        kind = conn.execute(
            text(
                "SELECT type FROM geometry_columns WHERE f_table_name = 'cells' AND f_geometry_column = 'geometry'"
            )
        ).scalar()
        index = conn.execute(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_cells_geometry_gist'")
        ).scalar()
    assert kind == "GEOMETRY" and "gist" in index.lower()


def test_init_on_a_postgresql_without_postgis_says_what_to_install(monkeypatch):
    """A fresh machine has PostgreSQL but not PostGIS: `gridmgr init` says what to install, in one
    line, and creates nothing (the server's own answer is asked first: here it does have PostGIS)."""
    import uuid

    from sqlalchemy import create_engine

    from gridmgr.db import store
    from gridmgr.errors import DatabaseUnavailable

    from needs import shared_pg_url

    base = shared_pg_url()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine = make_engine(f"{base}?options=-csearch_path%3D{schema},public")
    try:
        assert store.postgis_available(engine) is True
        monkeypatch.setattr(store, "postgis_available", lambda engine: False)
        with pytest.raises(DatabaseUnavailable) as info:
            store.upgrade(engine)
        message = str(info.value)
        assert "has no PostGIS" in message and "apt-get install postgresql-15-postgis-3" in message
        assert "\n" not in message and not schema_ready(engine)
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def test_database_url_defaults_to_the_instance_folder(tmp_path):
    assert (
        database_url(env={"GRIDMGR_INSTANCE": str(tmp_path)})
        == f"sqlite:///{tmp_path / 'gridmgr.db'}"
    )
    assert (
        database_url(env={"GRIDMGR_DATABASE_URL": "postgresql+psycopg://x/y"})
        == "postgresql+psycopg://x/y"
    )
    assert database_url("sqlite:///z.db", env={}) == "sqlite:///z.db"
    with pytest.raises(InvalidInput, match="unsupported database URL"):
        make_engine("mysql://nope")
    assert Cell.__tablename__ == "cells"


def _read_only(db_url: str, tmp_path) -> str:
    """The same database opened read-only: SQLite's mode=ro, PostgreSQL's read-only transactions."""
    if db_url.startswith("sqlite"):
        return f"sqlite:///file:{db_url.split('///', 1)[1]}?mode=ro&uri=true"
    return db_url.replace("options=", "options=-cdefault_transaction_read_only%3Don%20", 1)


def test_a_read_only_database_gives_one_clear_error_and_keeps_its_data(db_url, engine, tmp_path):
    import subprocess
    import sys

    from gridmgr import services
    from gridmgr.errors import DatabaseUnavailable

    services.add_warden(engine, "before")
    ro_url = _read_only(db_url, tmp_path)
    ro = make_engine(ro_url)
    try:
        assert [a.name for a in services.list_areas(ro)] == []  # reads still work
        with pytest.raises(DatabaseUnavailable, match="nothing was written"):
            services.add_warden(ro, "after")
    finally:
        ro.dispose()
    done = subprocess.run([sys.executable, "-m", "gridmgr", "--db", ro_url, "warden", "add", "cli"],
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 2 and "nothing was written" in done.stderr
    assert "Traceback" not in done.stderr
    with reading(engine) as s:
        assert s.execute(text("SELECT name FROM wardens")).scalars().all() == ["before"]


def test_a_read_never_waits_for_a_writer_and_writers_take_turns(engine):
    """While one transaction is writing (and holds SQLite's write lock to its commit), a read sees
    the last commit at once; writers of one process queue for their turn and each commits."""
    holding, read_done, seen = threading.Event(), threading.Event(), []

    def writer() -> None:
        with transaction(engine) as s:
            s.execute(text("CREATE TABLE IF NOT EXISTS probe (n integer)"))
        with transaction(engine) as s:
            s.execute(text("INSERT INTO probe VALUES (1)"))
            holding.set()
            seen.append(read_done.wait(20))  # still in the transaction when the read finished

    t = threading.Thread(target=writer)
    t.start()
    assert holding.wait(20)
    with reading(engine) as s:
        assert s.execute(text("SELECT count(*) FROM probe")).scalar() == 0  # the last commit
    read_done.set()
    t.join()
    assert seen == [True]
    adders = [
        threading.Thread(target=lambda: [_insert_probe(engine) for _ in range(20)])
        for _ in range(6)
    ]
    for a in adders:
        a.start()
    for a in adders:
        a.join()
    with reading(engine) as s:
        assert s.execute(text("SELECT count(*) FROM probe")).scalar() == 1 + 6 * 20


def _insert_probe(engine) -> None:
    with transaction(engine) as s:
        n = s.execute(text("SELECT count(*) FROM probe")).scalar()
        s.execute(text("INSERT INTO probe VALUES (:n)"), {"n": n})


def seeded_plan(engine, rng: random.Random, n: int) -> tuple[int, int]:
    """An area named with a quote and a percent sign and a plan of n random cells, some weighted, in
    shuffled order of seq; returns (area id, plan id)."""
    boxes = [
        shapely.box(x, y, x + rng.uniform(1e-4, 1e-3), y + rng.uniform(1e-4, 1e-3))
        for x, y in ((120 + 0.01 * k, 30 + rng.uniform(0, 0.5)) for k in range(n))
    ]
    cells = gpd.GeoDataFrame(
        {"code": [f"C'{k}%" for k in range(n)], "area_m2": [rng.uniform(1, 9) for _ in range(n)]},
        geometry=boxes,
        crs="EPSG:4326",
    )
    seqs = np.array(rng.sample(range(1, 10 * n), n))
    with transaction(engine) as s:
        area = Area(slug="q", name="O'Brien 100%", geometry=shapely.to_wkb(boxes[0]), area_m2=1.0)
        s.add(area)
        s.flush()
        plan = GridPlan(area_id=area.id, version=1, active=True, mode="test")
        s.add(plan)
        s.flush()
        ids = insert_cells(s, plan.id, cells, seqs)
        for cid in ids[: n // 2]:
            s.execute(
                Cell.__table__.update().where(Cell.id == int(cid)).values(weight=rng.random())
            )
        return area.id, plan.id


@pytest.mark.parametrize("seed", [1, 2])
def test_driver_rows_are_the_rows_sqlalchemy_gives_as_plain_tuples(engine, seed):
    _, plan_id = seeded_plan(engine, random.Random(seed), 40)
    with reading(engine) as s:
        some = [int(i) for i in s.execute(select(Cell.id)).scalars().all()[::3]]
        statements = [
            select(Cell.id, Cell.code, Cell.seq, Cell.area_m2, Cell.weight, Cell.geometry)
            .where(Cell.plan_id == plan_id)
            .order_by(Cell.seq),
            select(Cell.code, Cell.weight).where(Cell.id.in_(some)).order_by(Cell.code),
            # text given as parameters, never inlined: a quote, a percent sign, a LIKE pattern
            select(Area.id, Area.name, literal("it's 5% off").label("said"))
            .where(or_(Area.name == "O'Brien 100%", Area.name.like("%Brien 1_0\\%", escape="\\")))
            .order_by(Area.id),
            select(Cell.id).where(Cell.id.in_([])),
            select(func.count(), func.sum(Cell.seq)).where(Cell.plan_id == plan_id),
        ]
        for stmt in statements:
            want = [tuple(r) for r in s.execute(stmt).all()]
            got = driver_rows(s, stmt)
            assert got == want and all(type(r) is tuple for r in got)
        assert driver_rows(s, statements[2])[0][1:] == ("O'Brien 100%", "it's 5% off")
    gc.collect()
    assert not any(gc.is_tracked(r) for r in got), "plain tuples: nothing for the collector"


def test_load_cells_gives_every_column_in_seq_order(engine):
    _, plan_id = seeded_plan(engine, random.Random(7), 30)
    with reading(engine) as s:
        want = s.execute(
            select(Cell.id, Cell.code, Cell.seq, Cell.area_m2, Cell.weight, Cell.geometry)
            .where(Cell.plan_id == plan_id)
            .order_by(Cell.seq)
        ).all()
        cells = load_cells(s, plan_id)
        bare = load_cells(s, plan_id, geometry=False)
    assert cells["id"].tolist() == [r.id for r in want] == bare["id"].tolist()
    assert cells["code"].tolist() == [r.code for r in want] == bare["code"].tolist()
    assert cells["seq"].tolist() == [r.seq for r in want]
    assert cells["area_m2"].tolist() == [r.area_m2 for r in want]
    weights = [np.nan if r.weight is None else r.weight for r in want]
    assert np.array_equal(cells["weight"].to_numpy(), weights, equal_nan=True)
    assert shapely.to_wkb(np.asarray(cells.geometry.values)).tolist() == [
        shapely.to_wkb(shapely.from_wkb(r.geometry)) for r in want
    ]
    assert bare.geometry.isna().all()


def test_driver_row_chunks_stream_the_rows_driver_rows_gives(engine):
    _, plan_id = seeded_plan(engine, random.Random(5), 23)
    stmt = (
        select(Cell.id, Cell.code, Cell.weight, Cell.geometry)
        .where(Cell.plan_id == plan_id, Cell.code != "C'3%")
        .order_by(Cell.seq)
    )
    with reading(engine) as s:
        whole = driver_rows(s, stmt)
        assert len(whole) == 22
        for size in (1, 5, 22, 100):
            chunks = list(driver_row_chunks(s, stmt, size))
            assert [r for c in chunks for r in c] == whole
            assert all(0 < len(c) <= size for c in chunks) and len(chunks) == -(-22 // size)
        # two streams at once, one left half-read: the session reads on afterwards
        a, b = driver_row_chunks(s, stmt, 4), driver_row_chunks(s, stmt, 3)
        assert next(a) == whole[:4] and next(b) == whole[:3] and next(a) == whole[4:8]
        a.close()
        assert [r for c in b for r in c] == whole[3:]
        assert driver_rows(s, stmt) == whole
        assert list(driver_row_chunks(s, stmt.where(Cell.id < 0))) == []
