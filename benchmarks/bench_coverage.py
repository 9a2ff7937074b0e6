"""Time the coverage report on a 100,000-cell plan with a day of rounds (10 per cell), in one process.

Run: python benchmarks/bench_coverage.py [--cells N] [--pg URL]

The report (ground, staffing, every cell's round status, warden load) is printed with its ratio to
loading the plan's cells alone from the same database. SQLite always; PostGIS when --pg or
GRIDMGR_TEST_PG_URL names a server.
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
from bench_gridding import TARGET_KM2, bench_area_file, wardens_csv
from bench_store import fresh_database
from sqlalchemy import select

from gridmgr import services
from gridmgr.db.models import Cell, Round
from gridmgr.db.queries import active_plan, get_area
from gridmgr.db.store import bulk_insert, load_cells, make_engine, reading, transaction, upgrade

ROUNDS_PER_CELL = 10


def setup(engine, n_cells: int, tmp: Path) -> tuple[str, datetime]:
    slug = services.add_area(engine, bench_area_file(tmp), name="Bench").slug
    services.grid(engine, slug, cell_size=math.sqrt(TARGET_KM2 * 1e6 / n_cells))
    n_wardens = n_cells // 5
    services.import_wardens(engine, wardens_csv(tmp, n_wardens))
    services.auto_assign(engine, slug)
    services.set_schedule(engine, slug, None, extra=2)
    tz = ZoneInfo("Asia/Shanghai")
    day = (datetime.now(tz) + timedelta(days=1)).date()
    start = datetime.combine(day, datetime.min.time(), tz).timestamp()
    rng = np.random.default_rng(1)
    with reading(engine) as s:
        plan = active_plan(s, get_area(s, slug).id)
        ids = np.asarray(s.execute(select(Cell.id).where(Cell.plan_id == plan.id)).scalars().all())
    cell = np.repeat(ids, ROUNDS_PER_CELL)
    at = start + rng.uniform(6 * 3600, 22 * 3600, len(cell))
    rows = [{"cell_id": int(c), "at_s": int(t)} for c, t in zip(cell, at, strict=True)]
    with transaction(engine) as s:
        for k in range(0, len(rows), 50_000):
            bulk_insert(s, Round, rows[k : k + 50_000])
    return slug, datetime.combine(day, datetime.min.time(), tz) + timedelta(hours=23)


def run(kind: str, n_cells: int, pg: str | None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        url, drop = fresh_database(kind, Path(tmp), pg)
        engine = make_engine(url)
        try:
            upgrade(engine)
            slug, at = setup(engine, n_cells, Path(tmp))
            with reading(engine) as s:
                plan = active_plan(s, get_area(s, slug).id)
                t0 = time.perf_counter()
                cells = load_cells(s, plan.id)
                load_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            report = services.coverage_report(engine, slug, at=at)
            report_s = time.perf_counter() - t0
            return {"db": kind, "cells": len(cells), "rounds": len(cells) * ROUNDS_PER_CELL, "load_s": load_s,
                    "report_s": report_s, "overdue": len(report.overdue), "ok": len(report.ok)}  # fmt: skip
        finally:
            engine.dispose()
            drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=100_000)
    parser.add_argument("--pg", default=os.environ.get("GRIDMGR_TEST_PG_URL"))
    args = parser.parse_args()
    print(
        f"{'db':<8} {'cells':>8} {'rounds':>10} {'load cells s':>12} {'report s':>9} {'report/load':>11}"
    )
    for kind in ["sqlite"] + (["postgis"] if args.pg else []):
        r = run(kind, args.cells, args.pg)
        print(
            f"{r['db']:<8} {r['cells']:>8,} {r['rounds']:>10,} {r['load_s']:>12.2f} {r['report_s']:>9.2f} {r['report_s'] / r['load_s']:>11.2f}"
        )
    if not args.pg:
        print(
            "(PostGIS skipped: give --pg URL or set GRIDMGR_TEST_PG_URL; bash .ci/postgres.sh starts one)"
        )


if __name__ == "__main__":
    main()
