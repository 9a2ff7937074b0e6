"""Time storing, re-gridding and loading a 100,000-cell plan on SQLite (and PostGIS when configured).

Run: python benchmarks/bench_store.py [--cells N] [--pg URL]

PostGIS is used when --pg or GRIDMGR_TEST_PG_URL gives a server (`bash .ci/postgres.sh` starts one).
Each figure is printed with its ratio to writing the same cells with GeoDataFrame.to_file as a
GeoPackage, timed in the same process.
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
import time
import uuid
from pathlib import Path

from bench_gridding import TARGET_KM2, bench_area_file, wardens_csv
from sqlalchemy import create_engine, text

from gridmgr import services
from gridmgr.db.store import load_cells, make_engine, reading, upgrade


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - t0, result


def fresh_database(kind: str, tmp: Path, pg: str | None) -> tuple[str, callable]:
    if kind == "sqlite":
        return f"sqlite:///{tmp / 'bench.db'}", lambda: None
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()

    return f"{pg}{'&' if '?' in pg else '?'}options=-csearch_path%3D{schema},public", drop


def run(kind: str, n_cells: int, tmp: Path, pg: str | None) -> dict:
    url, drop = fresh_database(kind, tmp, pg)
    engine = make_engine(url)
    try:
        upgrade(engine)
        slug = services.add_area(engine, bench_area_file(tmp), name="Bench").slug
        size = math.sqrt(TARGET_KM2 * 1e6 / n_cells)
        save_s, first = timed(services.grid, engine, slug, cell_size=size)
        n_wardens = first.cells // 5
        services.import_wardens(engine, wardens_csv(tmp, n_wardens))
        services.auto_assign(engine, slug)
        services.set_schedule(engine, slug, None, extra=2)
        regrid_s, second = timed(services.grid, engine, slug, cell_size=size * 1.1)
        with reading(engine) as s:
            from gridmgr.db.queries import active_plan, get_area

            plan = active_plan(s, get_area(s, slug).id)
            load_s, cells = timed(load_cells, s, plan.id)
        gpkg = tmp / f"{kind}.gpkg"
        gpkg_s, _ = timed(
            cells[["code", "area_m2", "geometry"]].to_file, gpkg, driver="GPKG", engine="pyogrio"
        )
        return {
            "db": kind,
            "cells": first.cells,
            "save_s": save_s,
            "regrid_s": regrid_s,
            "regrid_cells": second.cells,
            "wardens": n_wardens,
            "load_s": load_s,
            "gpkg_s": gpkg_s,
        }
    finally:
        engine.dispose()
        drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=100_000)
    parser.add_argument("--pg", default=os.environ.get("GRIDMGR_TEST_PG_URL"))
    args = parser.parse_args()
    kinds = ["sqlite"] + (["postgis"] if args.pg else [])
    print(
        f"{'db':<8} {'cells':>8} {'save s':>7} {'re-grid s':>9} {'load s':>7} {'GPKG write s':>12} {'save/GPKG':>9} {'re-grid/GPKG':>12} {'load/GPKG':>9}"
    )
    for kind in kinds:
        with tempfile.TemporaryDirectory() as tmp:
            r = run(kind, args.cells, Path(tmp), args.pg)
        g = r["gpkg_s"]
        print(
            f"{r['db']:<8} {r['cells']:>8,} {r['save_s']:>7.2f} {r['regrid_s']:>9.2f} {r['load_s']:>7.2f} {g:>12.2f} "
            f"{r['save_s'] / g:>9.2f} {r['regrid_s'] / g:>12.2f} {r['load_s'] / g:>9.2f}"
        )
    if not args.pg:
        print(
            "(PostGIS skipped: give --pg URL or set GRIDMGR_TEST_PG_URL; bash .ci/postgres.sh starts one)"
        )
    print("save: grid and store a new plan; re-grid: a new plan at 1.1x the cell size, carrying")
    print(
        "wardens (one per five cells) and schedules over; load: the active plan as a GeoDataFrame."
    )


if __name__ == "__main__":
    main()
