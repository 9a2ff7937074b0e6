"""Time the roll-up (责任链) of a city: 10 districts × 10 streets × 10 communities, 10,000 cells,
20,000 wardens, a day of 50,000 rounds and 10,000 findings, in one process.

Run: python benchmarks/bench_rollup.py [--scale N] [--repeat N] [--pg URL]

Seeded in bulk (one insert per table and level). Timed, each the median of --repeat runs with its
ratio to loading one community's cells from the same database in the same process (the baseline):
the city's roll-up, a district's, a street's (services), the street's roll-up through the API and
the street's and a district's overview pages (through the WSGI app). SQLite always; PostGIS when
--pg or GRIDMGR_TEST_PG_URL names a server. Targets (issue 15): the city < 1 s, a street < 200 ms,
the overview page < 300 ms. `--scale 2` seeds 2 × 2 × 2 (what tests/test_bench_rollup.py runs).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from bench_store import fresh_database
from sqlalchemy import select

from gridmgr import services
from gridmgr.db.models import (
    Area,
    Assignment,
    Cell,
    Finding,
    FindingCategory,
    GridPlan,
    Round,
    Schedule,
    Warden,
)
from gridmgr.db.store import bulk_insert, load_cells, make_engine, reading, transaction, upgrade
from gridmgr.geometry.projection import metric_crs, to_metric
from gridmgr.services.rollup import rollup
from gridmgr.web import create_app

PASSWORD = "bench password"
TARGETS = {"city_s": 1.0, "street_s": 0.2, "overview_s": 0.3}
TZ = ZoneInfo("Asia/Shanghai")
CELLS_PER_COMMUNITY = 10
WARDENS_PER_CELL = 2
ROUNDS_PER_CELL = 5
FINDINGS_PER_CELL = 1
COMMUNITY_DEG = (0.004, 0.003)  # about 310 m × 330 m at Harbin
CHUNK = 5_000


def _boxes(keys: list[tuple[int, ...]], n: int) -> list[shapely.Geometry]:
    """The box of each district (d,), street (d, s) or community (d, s, c) of an n × n × n city."""
    w, h = COMMUNITY_DEG
    out = []
    for key in keys:
        d = key[0]
        x0 = 126.4 + d * n * w + (key[2] * w if len(key) > 2 else 0)
        x1 = x0 + (w if len(key) > 2 else n * w)
        y0 = 45.6 + (key[1] * h if len(key) > 1 else 0)
        y1 = y0 + (h if len(key) > 1 else n * h)
        out.append(shapely.box(x0, y0, x1, y1))
    return out


def _insert(s, model, rows: list[dict[str, Any]]) -> None:
    for k in range(0, len(rows), CHUNK):
        bulk_insert(s, model, rows[k : k + CHUNK])


def seed_city(engine, n: int = 10, *, day: date | None = None) -> dict[str, Any]:
    """The city of n districts × n streets × n communities, each community a leaf of 10 cells, two
    wardens per cell, 3+2 schedules, 5 rounds per cell on `day` (default today) and one finding per
    cell (40 % fixed on the spot, the rest with deadlines: closed, fixed, open, some overdue).
    Returns the slugs: {"city", "district", "street", "community"}."""
    day = day or datetime.now(TZ).date()
    rng = np.random.default_rng(15)
    levels: list[list[tuple[int, ...]]] = [
        [()],
        [(d,) for d in range(n)],
        [(d, s) for d in range(n) for s in range(n)],
        [(d, s, c) for d in range(n) for s in range(n) for c in range(n)],
    ]
    kinds = ["city", "district", "street", "community"]
    city_box = _boxes([(0,)], n)[0].union(_boxes([(n - 1,)], n)[0]).envelope
    crs = metric_crs(city_box)

    def slug(key: tuple[int, ...]) -> str:
        return "city" if not key else "c-" + "-".join(str(k) for k in key)

    ids: dict[tuple[int, ...], int] = {}
    with transaction(engine) as s:
        for level, keys in enumerate(levels):
            geoms = [city_box] if level == 0 else _boxes(keys, n)
            m2 = shapely.area(to_metric(np.asarray(geoms, dtype=object), crs))
            rows = [
                {"slug": slug(k), "name": f"{kinds[level]} {'-'.join(map(str, k))}".strip(),
                 "kind": kinds[level], "timezone": "Asia/Shanghai", "geometry": shapely.to_wkb(g),
                 "area_m2": float(a), "parent_id": ids[k[:-1]] if k else None}
                for k, g, a in zip(keys, geoms, m2, strict=True)
            ]  # fmt: skip
            _insert(s, Area, rows)
            made = dict(
                s.execute(select(Area.slug, Area.id).where(Area.kind == kinds[level])).all()
            )
            ids.update({k: int(made[slug(k)]) for k in keys})
        leaves = levels[3]
        empty = shapely.to_wkb(shapely.Polygon())
        _insert(s, GridPlan, [
            {"area_id": ids[k], "version": 1, "active": True, "mode": "count", "params": "{}",
             "created_at": datetime(2026, 1, 1, tzinfo=UTC), "gaps": empty, "overlaps": empty}
            for k in leaves
        ])  # fmt: skip
        plan_of = dict(s.execute(select(GridPlan.area_id, GridPlan.id)).all())
        w, h = COMMUNITY_DEG
        cells = []
        for k, box in zip(leaves, _boxes(leaves, n), strict=True):
            x0, y0 = box.bounds[0], box.bounds[1]
            for j in range(CELLS_PER_COMMUNITY):
                strip = shapely.box(x0 + j * w / CELLS_PER_COMMUNITY, y0,
                                    x0 + (j + 1) * w / CELLS_PER_COMMUNITY, y0 + h)  # fmt: skip
                cells.append({"plan_id": plan_of[ids[k]], "code": f"{slug(k).upper()}-{j + 1:03d}",
                              "seq": j + 1, "area_m2": 0.0, "geometry": shapely.to_wkb(strip)})  # fmt: skip
        m2 = shapely.area(
            to_metric(shapely.from_wkb(np.asarray([c["geometry"] for c in cells], object)), crs)
        )
        for c, a in zip(cells, m2, strict=True):
            c["area_m2"] = float(a)
        _insert(s, Cell, cells)
        cell_rows = s.execute(select(Cell.id, Cell.code, Cell.plan_id).order_by(Cell.id)).all()
        cell_ids = np.asarray([c[0] for c in cell_rows], np.int64)
        n_cells = len(cell_ids)
        _insert(s, Warden, [{"name": f"网格员{k:05d}", "role": "member"}
                            for k in range(n_cells * WARDENS_PER_CELL)])  # fmt: skip
        warden_ids = np.asarray(s.execute(select(Warden.id).order_by(Warden.id)).scalars().all())
        _insert(s, Assignment, [
            {"cell_id": int(cell_ids[k // WARDENS_PER_CELL]), "warden_id": int(wid),
             "role": "leader" if k % WARDENS_PER_CELL == 0 else "member"}
            for k, wid in enumerate(warden_ids)
        ])  # fmt: skip
        _insert(s, Schedule, [
            {"cell_id": int(c), "times": "08:00,12:00,18:00", "extra": 2, "window_before_min": 30,
             "window_after_min": 90, "since_s": None}
            for c in cell_ids
        ])  # fmt: skip
        start = datetime.combine(day, datetime.min.time(), TZ).timestamp()
        at = start + rng.uniform(7 * 3600, 21 * 3600, n_cells * ROUNDS_PER_CELL)
        on = np.repeat(cell_ids, ROUNDS_PER_CELL)
        _insert(s, Round, [
            {"cell_id": int(c), "warden_id": None, "at_s": int(t), "received_at_s": int(t)}
            for c, t in zip(on, at, strict=True)
        ])  # fmt: skip
        category = s.execute(select(FindingCategory.id)).scalars().first()
        area_of_plan = {p: a for a, p in plan_of.items()}
        findings = []
        for k, (cid, code, plan_id) in enumerate(cell_rows):
            for _ in range(FINDINGS_PER_CELL):
                found = int(start - rng.uniform(0, 30) * 86400)
                on_spot = rng.random() < 0.4
                state = (
                    "closed" if on_spot else str(rng.choice(["closed", "fixed", "open", "open"]))
                )
                deadline = None if on_spot else (day + timedelta(days=int(rng.integers(-10, 10))))
                findings.append({
                    "area_id": area_of_plan[plan_id], "cell_id": int(cid), "cell_code": code,
                    "category_id": category, "text": f"问题 {k}", "found_by": "bench",
                    "found_at_s": found, "received_at_s": found,
                    "mode": "on_spot" if on_spot else "deadline",
                    "deadline": deadline.isoformat() if deadline else None,
                    "unit": None if on_spot else "物业", "person": None if on_spot else "张三",
                    "status": state, "closed_as": "rectified" if state == "closed" else None,
                })  # fmt: skip
        _insert(s, Finding, findings)
    return {
        "city": "city",
        "district": slug((0,)),
        "street": slug((0, 0)),
        "community": slug((0, 0, 0)),
        "at": datetime.combine(day, datetime.min.time(), TZ) + timedelta(hours=21),
        "cells": n_cells,
    }


def timed(fn: Callable[[], Any], repeat: int) -> float:
    """The median seconds of `repeat` calls (after one untimed warm-up)."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def measure(engine, seeded: dict[str, Any], repeat: int, instance: Path) -> dict[str, float]:
    """Every timing of the module docstring, and the baseline."""
    at = seeded["at"].isoformat()

    def baseline() -> None:
        with reading(engine) as s:
            area = s.execute(select(Area.id).where(Area.slug == seeded["community"])).scalar()
            plan = s.execute(select(GridPlan.id).where(GridPlan.area_id == area)).scalar()
            load_cells(s, plan)

    out = {"baseline_s": timed(baseline, repeat)}
    for level in ("city", "district", "street"):
        out[f"{level}_s"] = timed(lambda lv=level: rollup(engine, seeded[lv], at=at), repeat)
    services.add_user(engine, "bench", role="manager", password=PASSWORD)
    app = create_app({"DATABASE_URL": str(engine.url.render_as_string(hide_password=False)),
                      "INSTANCE_PATH": str(instance), "TILES_URL": "", "SESSION_COOKIE_SECURE": False})  # fmt: skip
    try:
        engine_app = app.extensions["gridmgr.engine"]
        uid = next(u.id for u in services.list_users(engine_app) if u.username == "bench")
        headers = {"Authorization": f"Bearer {services.issue_token(engine_app, uid)}"}
        client = app.test_client()

        def api() -> None:
            got = client.get(
                f"/api/v1/areas/{seeded['street']}/rollup?at={at[:16]}", headers=headers
            )
            assert got.status_code == 200, got.get_data(as_text=True)[:200]

        out["api_street_s"] = timed(api, repeat)
        page = app.test_client()
        login = page.get("/login").get_data(as_text=True)
        token = login.split('name="csrf_token" value="')[1].split('"')[0]
        page.post("/login", data={"username": "bench", "password": PASSWORD, "csrf_token": token})
        for level in ("street", "district"):

            def view(lv: str = level) -> None:
                got = page.get(f"/areas/{seeded[lv]}/overview?at={at[:16]}")
                assert got.status_code == 200, got.get_data(as_text=True)[:200]

            out[f"overview_{level}_s"] = timed(view, repeat)
    finally:
        app.extensions["gridmgr.engine"].dispose()
        reports = app.extensions.get("gridmgr.reports_engine")
        if reports is not None:
            reports.dispose()
    return out


def run(kind: str, n: int, repeat: int, pg: str | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        url, drop = fresh_database(kind, Path(tmp), pg)
        engine = make_engine(url)
        try:
            upgrade(engine)
            t0 = time.perf_counter()
            seeded = seed_city(engine, n)
            seed_s = time.perf_counter() - t0
            figures = measure(engine, seeded, repeat, Path(tmp) / "instance")
            total = rollup(engine, "city", at=seeded["at"].isoformat()).total
            return {"db": kind, "cells": seeded["cells"], "seed_s": seed_s, **figures,
                    "check": (total.cells, total.rounds_done_today, total.findings_open)}  # fmt: skip
        finally:
            engine.dispose()
            drop()


COLUMNS = [("city_s", "city"), ("district_s", "district"), ("street_s", "street"),
           ("api_street_s", "API street"), ("overview_street_s", "page street"),
           ("overview_district_s", "page district")]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale", type=int, default=10, help="districts, streets and communities each"
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pg", default=os.environ.get("GRIDMGR_TEST_PG_URL"))
    args = parser.parse_args()
    print(f"targets: city < {TARGETS['city_s']} s, street < {TARGETS['street_s'] * 1000:.0f} ms, "
          f"overview page < {TARGETS['overview_s'] * 1000:.0f} ms; ms (× baseline: one community's "
          "cells loaded)")  # fmt: skip
    print(f"{'db':<8} {'cells':>7} {'seed s':>7} {'baseline':>9} "
          + " ".join(f"{label:>18}" for _, label in COLUMNS))  # fmt: skip
    for kind in ["sqlite"] + (["postgis"] if args.pg else []):
        r = run(kind, args.scale, args.repeat, args.pg)
        base = r["baseline_s"]
        cols = " ".join(f"{r[k] * 1000:>9.0f} ({r[k] / base:>5.0f}×)" for k, _ in COLUMNS)
        print(f"{r['db']:<8} {r['cells']:>7,} {r['seed_s']:>7.1f} {base * 1000:>7.1f}ms {cols}")
    if not args.pg:
        print(
            "(PostGIS skipped: give --pg URL or set GRIDMGR_TEST_PG_URL; bash .ci/postgres.sh starts one)"
        )


if __name__ == "__main__":
    main()
