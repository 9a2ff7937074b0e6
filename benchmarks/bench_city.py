"""A city-sized database on PostGIS: N cells in nested areas, N/5 wardens, D days of rounds (about 5
per cell a day), N findings; loading time, database size per million rounds, the coverage report of
a community and the city's roll-up at a moment, and logging p99 with 200 wardens over two servers.

Run: python benchmarks/bench_city.py [--cells 100000] [--days 30] [--pg URL] [--repeat 5]
                                     [--wardens-logging 200] [--seconds 60] [--servers 2]

PostGIS only (--pg or GRIDMGR_TEST_PG_URL; `bash .ci/postgres.sh` starts one); not run in CI. The
city is F districts × F streets × F communities (F = --fanout, default 10), each community a leaf
with N / F³ cells of about 100 m × 100 m (synthetic squares), every cell staffed by one of N/5
wardens (five cells each) on a 3+2 schedule. Rounds are loaded with COPY into the partitioned
`rounds` (the months' partitions made first, as `gridmgr maintain` would have), findings and their
events in bulk. Timed, each the median of --repeat calls, with its ratio to the baseline measured
in the same run (loading one community's cells): a community's coverage report, a street's and the
city's roll-up, at 21:00 yesterday on the area's clock. Then `--servers` `gridmgr serve` processes
on the same database, and `--wardens-logging` wardens (each holding its cells) log rounds through
them for --seconds (bench_load's client loop); p50 and p99 with their ratio to GET /healthz.
Targets (issue 19): the coverage report and the roll-up < 2 s, logging p99 < 200 ms.
"""

from __future__ import annotations

import argparse
import io
import math
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from bench_load import Recorder, floor, start_servers, stop_servers, warden_loop
from bench_store import fresh_database
from sqlalchemy import Engine, select, text

from gridmgr import services
from gridmgr.db.models import (
    Area,
    Assignment,
    Cell,
    Finding,
    FindingCategory,
    GridPlan,
    Schedule,
    Warden,
)
from gridmgr.db.partitions import Month, create_months_ahead
from gridmgr.db.store import bulk_insert, load_cells, make_engine, reading, transaction, upgrade
from gridmgr.geometry.projection import metric_crs, to_metric
from gridmgr.services.rollup import rollup

TZ = ZoneInfo("Asia/Shanghai")
CELL_DEG = (0.00128, 0.0009)  # about 100 m × 100 m at Harbin (45.6° N)
ROUNDS_PER_CELL_DAY = 5
CELLS_PER_WARDEN = 5
CHUNK = 20_000
COPY_CHUNK = 500_000
PASSWORD = "city bench password"
TARGETS = {"coverage_s": 2.0, "rollup_city_s": 2.0, "log_p99_s": 0.2}


def _insert(s, model, rows: list[dict[str, Any]]) -> None:
    for k in range(0, len(rows), CHUNK):
        bulk_insert(s, model, rows[k : k + CHUNK])


def layout(fanout: int, per_community: int) -> tuple[int, int, float, float]:
    """Columns and rows of cells in a community, and a community's width and height in degrees."""
    cols = math.ceil(math.sqrt(per_community))
    rows = math.ceil(per_community / cols)
    return cols, rows, cols * CELL_DEG[0], rows * CELL_DEG[1]


def box_of(key: tuple[int, ...], f: int, w: float, h: float) -> shapely.Geometry:
    """The box of the city (), a district (d,), a street (d, s) or a community (d, s, c)."""
    x0 = 126.4 + (key[0] * f * w if key else 0) + (key[2] * w if len(key) > 2 else 0)
    y0 = 45.6 + (key[1] * h if len(key) > 1 else 0)
    width = w if len(key) > 2 else (f * w if key else f * f * w)
    height = h if len(key) > 1 else f * h
    return shapely.box(x0, y0, x0 + width, y0 + height)


def slug_of(key: tuple[int, ...]) -> str:
    return "city" if not key else "c-" + "-".join(str(k) for k in key)


def seed_areas(engine: Engine, f: int, per_community: int) -> dict[str, Any]:
    """The nested areas, one active plan per community with its cells, wardens (five cells each),
    their assignments and 3+2 schedules. Returns the cells' ids and the wardens' ids and names."""
    cols, nrows, w, h = layout(f, per_community)
    levels: list[list[tuple[int, ...]]] = [
        [()],
        [(d,) for d in range(f)],
        [(d, s) for d in range(f) for s in range(f)],
        [(d, s, c) for d in range(f) for s in range(f) for c in range(f)],
    ]
    kinds = ["city", "district", "street", "community"]
    crs = metric_crs(box_of((), f, w, h))
    ids: dict[tuple[int, ...], int] = {}
    with transaction(engine) as s:
        for level, keys in enumerate(levels):
            geoms = [box_of(k, f, w, h) for k in keys]
            m2 = shapely.area(to_metric(np.asarray(geoms, dtype=object), crs))
            _insert(s, Area, [
                {"slug": slug_of(k), "name": f"{kinds[level]} {'-'.join(map(str, k))}".strip(),
                 "kind": kinds[level], "timezone": "Asia/Shanghai", "geometry": shapely.to_wkb(g),
                 "area_m2": float(a), "parent_id": ids[k[:-1]] if k else None}
                for k, g, a in zip(keys, geoms, m2, strict=True)
            ])  # fmt: skip
            made = dict(
                s.execute(select(Area.slug, Area.id).where(Area.kind == kinds[level])).all()
            )
            ids.update({k: int(made[slug_of(k)]) for k in keys})
        leaves = levels[3]
        empty = shapely.to_wkb(shapely.Polygon())
        _insert(s, GridPlan, [
            {"area_id": ids[k], "version": 1, "active": True, "mode": "cell_size", "params": "{}",
             "created_at": datetime(2026, 1, 1, tzinfo=UTC), "gaps": empty, "overlaps": empty}
            for k in leaves
        ])  # fmt: skip
        plan_of = dict(s.execute(select(GridPlan.area_id, GridPlan.id)).all())
        j = np.arange(per_community)
        dx, dy = (j % cols) * CELL_DEG[0], (nrows - 1 - j // cols) * CELL_DEG[1]
        cells: list[dict[str, Any]] = []
        for k in leaves:
            x0, y0 = box_of(k, f, w, h).bounds[:2]
            boxes = shapely.box(x0 + dx, y0 + dy, x0 + dx + CELL_DEG[0], y0 + dy + CELL_DEG[1])
            cells.extend(
                {"plan_id": plan_of[ids[k]], "code": f"{slug_of(k).upper()}-{q + 1:04d}",
                 "seq": q + 1, "area_m2": 0.0, "geometry": shapely.to_wkb(b)}
                for q, b in enumerate(boxes)
            )  # fmt: skip
        m2 = shapely.area(
            to_metric(shapely.from_wkb(np.asarray([c["geometry"] for c in cells], object)), crs)
        )
        for c, a in zip(cells, m2, strict=True):
            c["area_m2"] = float(a)
        _insert(s, Cell, cells)
        cell_ids = np.asarray(s.execute(select(Cell.id).order_by(Cell.id)).scalars().all())
        n_wardens = max(1, len(cell_ids) // CELLS_PER_WARDEN)
        _insert(s, Warden, [{"name": f"网格员{k:06d}", "role": "member"} for k in range(n_wardens)])
        wardens = s.execute(select(Warden.id, Warden.name).order_by(Warden.id)).all()
        warden_of_cell = np.asarray([wardens[min(i // CELLS_PER_WARDEN, n_wardens - 1)][0]
                                     for i in range(len(cell_ids))], np.int64)  # fmt: skip
        _insert(s, Assignment, [
            {"cell_id": int(c), "warden_id": int(wd), "role": "leader"}
            for c, wd in zip(cell_ids, warden_of_cell, strict=True)
        ])  # fmt: skip
        _insert(s, Schedule, [
            {"cell_id": int(c), "times": "08:00,12:00,18:00", "extra": 2, "window_before_min": 30,
             "window_after_min": 90, "since_s": None}
            for c in cell_ids
        ])  # fmt: skip
    return {"cells": cell_ids, "warden_of_cell": warden_of_cell, "wardens": wardens,
            "community": slug_of((0, 0, 0)), "street": slug_of((0, 0)), "city": "city",
            "plan_of_community": plan_of[ids[(0, 0, 0)]]}  # fmt: skip


def copy_rounds(engine: Engine, seeded: dict[str, Any], first: date, days: int) -> int:
    """About five rounds per cell a day over `days` days from `first` (local 07:00–21:00), by COPY
    into `rounds`, the months' partitions made first. The number of rounds."""
    start = datetime.combine(first, datetime.min.time(), TZ)
    create_months_ahead(engine, ahead=days // 28 + 3, today=start.astimezone(UTC).date())
    rng = np.random.default_rng(19)
    cells, wardens = seeded["cells"], seeded["warden_of_cell"]
    per_day = len(cells) * ROUNDS_PER_CELL_DAY
    now = datetime.now(UTC).isoformat()
    total = 0
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        with cur.copy(
            "COPY rounds (cell_id, warden_id, at_s, received_at_s, late_entry, backfilled, "
            "created_at) FROM STDIN"
        ) as copy:
            for day in range(days):
                base = start.timestamp() + day * 86400
                at = (base + rng.uniform(7 * 3600, 21 * 3600, per_day)).astype(np.int64)
                on = rng.integers(0, len(cells), per_day)
                for k in range(0, per_day, COPY_CHUNK):
                    part = slice(k, k + COPY_CHUNK)
                    buf = io.StringIO()
                    for c, wd, t in zip(cells[on[part]], wardens[on[part]], at[part], strict=True):
                        buf.write(f"{c}\t{wd}\t{t}\t{t}\tf\tf\t{now}\n")
                    copy.write(buf.getvalue())
                total += per_day
        raw.commit()
        cur.execute("ANALYZE rounds")
        raw.commit()
    finally:
        raw.close()
    return total


def seed_findings(engine: Engine, seeded: dict[str, Any], first: date, days: int) -> int:
    """One finding per cell on average (40 % fixed on the spot, the rest with deadlines: closed,
    fixed, open), each with its events (recorded; fixed and closed where they were). The number."""
    rng = np.random.default_rng(20)
    cells = seeded["cells"]
    start = datetime.combine(first, datetime.min.time(), TZ).timestamp()
    with transaction(engine) as s:
        category = s.execute(select(FindingCategory.id)).scalars().first()
        where = s.execute(
            select(Cell.id, Cell.code, GridPlan.area_id).join(GridPlan, GridPlan.id == Cell.plan_id)
        ).all()
        place = {int(c): (code, int(a)) for c, code, a in where}
        rows = []
        for k in range(len(cells)):
            cid = int(cells[rng.integers(0, len(cells))])
            found = int(start + rng.uniform(0, days * 86400))
            on_spot = rng.random() < 0.4
            state = "closed" if on_spot else str(rng.choice(["closed", "fixed", "open", "open"]))
            deadline = datetime.fromtimestamp(found + 7 * 86400, TZ).date().isoformat()
            done = found + int(rng.uniform(3600, 5 * 86400))
            rows.append({
                "area_id": place[cid][1], "cell_id": cid, "cell_code": place[cid][0],
                "category_id": category, "text": f"问题 {k}", "found_by": "bench",
                "found_at_s": found, "received_at_s": found,
                "mode": "on_spot" if on_spot else "deadline",
                "deadline": None if on_spot else deadline,
                "unit": None if on_spot else "物业", "person": None if on_spot else "张三",
                "status": state, "closed_as": "rectified" if state == "closed" else None,
                "fixed_at_s": found if on_spot else (done if state != "open" else None),
                "closed_at_s": found if on_spot else (done if state == "closed" else None),
            })  # fmt: skip
        _insert(s, Finding, rows)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("SELECT id, found_at_s, status, mode, fixed_at_s, closed_at_s FROM findings")
        found = cur.fetchall()
        with cur.copy(
            "COPY finding_events (finding_id, at_s, actor, action, details) FROM STDIN"
        ) as copy:
            buf = io.StringIO()
            for fid, at, _status, mode, fixed, closed in found:
                buf.write(f"{fid}\t{at}\tbench\trecorded\t{{}}\n")
                if mode == "deadline" and fixed is not None:
                    buf.write(f"{fid}\t{fixed}\tbench\tfixed\t{{}}\n")
                if mode == "deadline" and closed is not None:
                    buf.write(f"{fid}\t{closed + 60}\tbench\tclosed\t{{}}\n")
            copy.write(buf.getvalue())
        raw.commit()
        cur.execute("ANALYZE findings")
        cur.execute("ANALYZE finding_events")
        raw.commit()
    finally:
        raw.close()
    return len(rows)


def sizes(engine: Engine) -> dict[str, int]:
    """Bytes on disk (tables, indexes, TOAST) of the rounds with their partitions and keys, and of
    the whole schema."""
    with engine.connect() as conn:
        rounds = conn.execute(
            text(
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                "WHERE c.oid IN (SELECT inhrelid FROM pg_inherits "
                "WHERE inhparent = to_regclass('rounds')) OR c.oid = to_regclass('round_keys')"
            )
        ).scalar_one()
        schema = conn.execute(
            text(
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'm')"
            )
        ).scalar_one()
    return {"rounds_bytes": int(rounds), "schema_bytes": int(schema)}


def timed(fn: Callable[[], Any], repeat: int) -> float:
    """The median seconds of `repeat` calls (after one untimed warm-up)."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def measure(engine: Engine, seeded: dict[str, Any], at: datetime, repeat: int) -> dict[str, float]:
    """The baseline and the reports of the module docstring, medians in seconds."""

    def baseline() -> None:
        with reading(engine) as s:
            load_cells(s, seeded["plan_of_community"])

    moment = at.isoformat()
    out = {"baseline_s": timed(baseline, repeat)}
    out["coverage_s"] = timed(
        lambda: services.coverage_report(engine, seeded["community"], at=moment, with_cells=True),
        repeat,
    )
    out["rollup_street_s"] = timed(lambda: rollup(engine, seeded["street"], at=moment), repeat)
    out["rollup_city_s"] = timed(lambda: rollup(engine, "city", at=moment), repeat)
    return out


def logging_load(
    url: str, engine: Engine, seeded: dict[str, Any], tmp: Path, args: argparse.Namespace
) -> dict[str, Any]:
    """`args.wardens_logging` wardens logging rounds in their own first cell through `args.servers`
    servers on the city's database for `args.seconds` (bench_load's client loop)."""
    n = min(args.wardens_logging, len(seeded["wardens"]))
    step = max(1, len(seeded["wardens"]) // n)  # spread over the city
    chosen = [seeded["wardens"][k * step] for k in range(n)]
    with reading(engine) as s:
        code_of = dict(s.execute(select(Cell.id, Cell.code)).all())
        area_of = dict(
            s.execute(
                select(Cell.id, Area.slug)
                .join(GridPlan, GridPlan.id == Cell.plan_id)
                .join(Area, Area.id == GridPlan.area_id)
            ).all()
        )
    first_cell = {}
    for c, wd in zip(seeded["cells"], seeded["warden_of_cell"], strict=True):
        first_cell.setdefault(int(wd), int(c))
    clients = []
    for k, (wid, name) in enumerate(chosen):
        user = services.add_user(engine, f"city{k}", role="warden", password=PASSWORD, warden=name)
        cell = first_cell[int(wid)]
        clients.append((area_of[cell], code_of[cell], services.issue_token(engine, user.id)))
    started = start_servers(url, tmp, args.servers)
    ports = [p for p, _ in started]
    try:
        base = floor(ports[0])
        rec = Recorder()
        until = time.monotonic() + args.seconds
        threads = [
            threading.Thread(
                target=warden_loop,
                args=(
                    ports[k % len(ports) :] + ports[: k % len(ports)],
                    slug,
                    code,
                    token,
                    until,
                    rec,
                    args.pause,
                ),
            )
            for k, (slug, code, token) in enumerate(clients)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        stop_servers(started)
    times = sorted(rec.times.get("log a round", [0.0]))
    return {
        "floor_s": base,
        "rounds_logged": len(rec.acked),
        "errors": rec.errors,
        "log_p50_s": times[len(times) // 2],
        "log_p99_s": times[min(len(times) - 1, int(len(times) * 0.99))],
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    f = args.fanout
    per_community = max(1, round(args.cells / f**3))
    today = datetime.now(TZ).date()
    first = today - timedelta(days=args.days)
    at = datetime.combine(today - timedelta(days=1), datetime.min.time(), TZ) + timedelta(hours=21)
    with tempfile.TemporaryDirectory() as tmp:
        url, drop = fresh_database("postgis", Path(tmp), args.pg)
        engine = make_engine(url)
        try:
            upgrade(engine)
            t0 = time.perf_counter()
            seeded = seed_areas(engine, f, per_community)
            areas_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            n_rounds = copy_rounds(engine, seeded, first, args.days)
            rounds_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            n_findings = seed_findings(engine, seeded, first, args.days)
            findings_s = time.perf_counter() - t0
            with engine.connect() as conn:
                conn.execute(text("ANALYZE"))
            figures = measure(engine, seeded, at, args.repeat)
            total = rollup(engine, "city", at=at.isoformat()).total
            on_disk = sizes(engine)
            load = logging_load(url, engine, seeded, Path(tmp), args) if args.seconds > 0 else {}
            return {
                "cells": len(seeded["cells"]), "wardens": len(seeded["wardens"]),
                "rounds": n_rounds, "findings": n_findings, "months": str(Month.of(at.timestamp())),
                "areas_s": areas_s, "rounds_s": rounds_s, "findings_s": findings_s,
                "at": at.isoformat(), **figures, **on_disk, **load,
                "check": (total.cells, total.rounds_done_today, total.findings_open),
            }  # fmt: skip
        finally:
            engine.dispose()
            drop()


def report(r: dict[str, Any], args: argparse.Namespace) -> bool:
    """Print the figures with their ratios to the baseline; whether every target was met."""
    mib = 1024 * 1024
    print(f"city: {r['cells']:,} cells in {args.fanout}³ communities, {r['wardens']:,} wardens, "
          f"{r['rounds']:,} rounds over {args.days} days, {r['findings']:,} findings")  # fmt: skip
    print(f"load: areas, cells, wardens, schedules {r['areas_s']:.1f} s; rounds (COPY) "
          f"{r['rounds_s']:.1f} s = {r['rounds'] / r['rounds_s']:,.0f}/s; findings and events "
          f"{r['findings_s']:.1f} s")  # fmt: skip
    per_m = r["rounds_bytes"] / (r["rounds"] / 1e6)
    print(f"size: rounds {r['rounds_bytes'] / mib:,.0f} MiB = {per_m / mib:,.0f} MiB per million "
          f"rounds; whole schema {r['schema_bytes'] / mib:,.0f} MiB")  # fmt: skip
    base = r["baseline_s"]
    print(f"at {r['at']} (ms, × baseline: one community's cells loaded, {base * 1000:.1f} ms):")
    for key, label in (("coverage_s", "coverage report of a community"),
                       ("rollup_street_s", "roll-up of a street"),
                       ("rollup_city_s", "roll-up of the city")):  # fmt: skip
        print(f"  {label:<32} {r[key] * 1000:>9.0f} ms ({r[key] / base:>6.0f}×)")
    print(f"  check (cells, rounds done today, findings open): {r['check']}")
    met = r["coverage_s"] < TARGETS["coverage_s"] and r["rollup_city_s"] < TARGETS["rollup_city_s"]
    if "log_p99_s" in r:
        fl = r["floor_s"]
        print(f"logging: {args.wardens_logging} wardens over {args.servers} servers for "
              f"{args.seconds:.0f} s: {r['rounds_logged']:,} rounds, p50 {r['log_p50_s'] * 1000:.0f} "
              f"ms, p99 {r['log_p99_s'] * 1000:.0f} ms ({r['log_p99_s'] / fl:.0f}× GET /healthz "
              f"{fl * 1000:.1f} ms); errors {len(r['errors'])} {r['errors'][:3]}")  # fmt: skip
        met &= r["log_p99_s"] < TARGETS["log_p99_s"] and not r["errors"]
    print(f"targets (coverage and city roll-up < 2 s, logging p99 < 200 ms): "
          f"{'met' if met else 'NOT MET'}")  # fmt: skip
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument(
        "--fanout", type=int, default=10, help="districts, streets, communities each"
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--wardens-logging", type=int, default=200)
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=60, help="0: no logging load")
    parser.add_argument(
        "--pause", type=float, default=5.0, help="seconds between a warden's rounds"
    )
    parser.add_argument("--pg", default=os.environ.get("GRIDMGR_TEST_PG_URL"))
    args = parser.parse_args()
    if not args.pg:
        print("bench_city needs PostGIS: give --pg URL or set GRIDMGR_TEST_PG_URL "
              "(bash .ci/postgres.sh starts one)")  # fmt: skip
        return 2
    return 0 if report(run(args), args) else 1


if __name__ == "__main__":
    sys.exit(main())
