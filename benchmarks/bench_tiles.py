"""Vector tiles of a big plan (issue 19): one tile per zoom over the middle of a square gridded for
real into about 100,000 cells, through `services.plan_tile`, against the baseline of the whole plan as
the compact cells the coverage map fetched before (`plan_cells_at` + `cells_to_compact`). Each zoom
is made three ways in this process: single cells as before (`single=True`), as now (zoomed out: the
cells merged per status), and as now again from the tile cache (a hit).

With `--browser`: the coverage map's first screen in headless Chromium (Debian's `chromium`, as
tests/webtools.py drives it), from `goto` to every tile in view drawn, for this plan and for a
1,000-cell plan (inline GeoJSON) as the yardstick, and for this plan drawn from its compact GeoJSON
(TILES_ABOVE past its cells, as the map did before tiles); the first load and the best of `--repeat`
after.

Run: python benchmarks/bench_tiles.py [--db sqlite|postgis] [--side 3160] [--cell 10] [--repeat 3]
                                      [--browser]

PostGIS needs GRIDMGR_TEST_PG_URL (a schema of its own is made and dropped). Times are the best of
`--repeat` in this process; bytes are the tile's uncompressed and gzipped.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import math
import os
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from gridmgr import services
from gridmgr.db.store import make_engine, upgrade
from gridmgr.services.cellmap import plan_cells_at
from gridmgr.services.tile_cache import TileCache
from gridmgr.services.tiles import plan_tile
from gridmgr.web.api.cells_json import cells_to_compact

LON0, LAT0 = 126.60, 45.75
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "bench-tiles-password"


def best(repeat: int, fn) -> tuple[float, object]:
    """The shortest of `repeat` runs of fn() in seconds, and its last result."""
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def tile_xy(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int((lon + 180) / 360 * n), int(y)


def square(engine, tmp: Path, slug: str, side: float, cell: float, lon0: float) -> str:
    """A square `side` metres wide gridded in `cell` m squares, its first fifth held by a warden and
    its first three fifths on a 3+N schedule (statuses in bands, as the browser test has them)."""
    dlat = side / 111320
    dlon = side / (111320 * math.cos(math.radians(LAT0)))
    ring = [[lon0, LAT0], [lon0 + dlon, LAT0], [lon0 + dlon, LAT0 + dlat], [lon0, LAT0 + dlat]]
    path = tmp / f"{slug}.geojson"
    path.write_text(json.dumps({"type": "Polygon", "coordinates": [[*ring, ring[0]]]}))
    slug = services.add_area(engine, path, name=slug, slug=slug).slug
    services.grid(engine, slug, cell_size=cell)
    codes = list(services.plan_cells(engine, slug)["code"])
    n = len(codes)
    services.assign(engine, slug, codes[: n // 5], "王芳")
    for k in range(0, n * 3 // 5, 20_000):  # in parts: PostgreSQL takes 65,535 parameters a query
        services.set_schedule(engine, slug, codes[k : min(k + 20_000, n * 3 // 5)], extra=1)
    return slug


def tiles_table(engine, slug: str, side: float, repeat: int) -> None:
    """Per zoom: the tile as single cells (before), as now, and as now from the cache."""
    whole, text_ = best(
        repeat,
        lambda: cells_to_compact(
            plan_cells_at(engine, slug, states=True), ("code", "status", "wardens"), 6
        ),
    )
    body = str(text_).encode()
    print(f"baseline: the whole plan as compact cells {whole:.2f} s, {len(body) / 1e6:.1f} MB "
          f"({len(gzip.compress(body)) / 1e6:.2f} MB gzip)")  # fmt: skip
    dlat = side / 111320
    dlon = side / (111320 * math.cos(math.radians(LAT0)))
    print(
        "zoom  cells  merged | before: bytes    gzip     time  /base | now: bytes  gzip"
        "    time  /base  /before | cached  /base"
    )
    for z in range(12, 19):
        x, y = tile_xy(LON0 + dlon / 2, LAT0 + dlat / 2, z)
        t = (z, x, y)
        was, old = best(repeat, lambda t=t: plan_tile(engine, slug, *t, single=True))
        now, new = best(repeat, lambda t=t: plan_tile(engine, slug, *t))
        cache = TileCache()
        plan_tile(engine, slug, *t, cache=cache)
        hit, _ = best(repeat, lambda t=t, c=cache: plan_tile(engine, slug, *t, cache=c))
        a, b = old.data, new.data  # type: ignore[attr-defined]
        print(f"{z:>4} {new.cells:>7,} {'yes' if new.dissolved else 'no':>5} | "  # type: ignore[attr-defined]
              f"{len(a):>12,} {len(gzip.compress(a)):>7,} {was * 1000:>6.0f} ms {was / whole:>5.3f} | "
              f"{len(b):>9,} {len(gzip.compress(b)):>6,} {now * 1000:>5.0f} ms {now / whole:>5.3f} "
              f"{now / was:>7.3f} | {hit * 1000:>4.0f} ms {hit / whole:>5.3f}")  # fmt: skip


def first_screens(
    url: str, tmp: Path, slugs: dict[str, str], repeat: int, tiles_above: int | None = None
) -> None:
    """The coverage map of each plan in headless Chromium: goto to every tile or cell drawn
    (`tiles_above`: the app's TILES_ABOVE, e.g. past the plan's cells for its compact GeoJSON)."""
    from playwright.sync_api import sync_playwright
    from waitress.server import create_server

    from gridmgr.web import create_app

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "Task queue depth" on each burst

    config = {"DATABASE_URL": url, "INSTANCE_PATH": str(tmp / "instance"), "TILES_URL": ""}
    app = create_app(config | ({} if tiles_above is None else {"TILES_ABOVE": tiles_above}))
    app.config["SESSION_COOKIE_SECURE"] = False
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.effective_port}"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                        args=["--no-sandbox", "--disable-gpu"])  # fmt: skip
            page = browser.new_context().new_page()
            page.goto(f"{base}/login")
            page.fill("input[name=username]", "manager")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state("networkidle")
            print("first screen in headless Chromium (goto to drawn): first load, best of the next")
            for label, slug in slugs.items():
                times = []
                for _ in range(repeat + 1):
                    t = time.perf_counter()
                    page.goto(f"{base}/areas/{slug}/map")
                    key = page.get_attribute(".map-frame", "data-cells-layer")
                    page.wait_for_selector(f".folium-map[data-loaded-{key}]", state="attached",
                                           timeout=120_000)  # fmt: skip
                    times.append(time.perf_counter() - t)
                print(f"  {label}: {times[0]:.2f} s first, {min(times[1:]):.2f} s after")
            browser.close()
    finally:
        server.close()
        thread.join(timeout=5)
        app.extensions["gridmgr.engine"].dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", choices=("sqlite", "postgis"), default="sqlite")
    ap.add_argument("--side", type=float, default=3160.0, help="the square's side in metres")
    ap.add_argument("--cell", type=float, default=10.0, help="cell size in metres")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--browser", action="store_true", help="also the map's first screen")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    schema = None
    if args.db == "sqlite":
        url = f"sqlite:///{tmp / 'tiles.db'}"
    else:
        from sqlalchemy import create_engine, text

        base = os.environ.get("GRIDMGR_TEST_PG_URL") or sys.exit("set GRIDMGR_TEST_PG_URL")
        schema = f"bench_tiles_{uuid.uuid4().hex[:8]}"
        with create_engine(base).begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema},public"
    engine = make_engine(url)
    try:
        upgrade(engine)
        csv = tmp / "wardens.csv"
        csv.write_text("name,phone\n王芳,13800000001\n", encoding="utf-8")
        services.import_wardens(engine, csv)
        t = time.perf_counter()
        slug = square(engine, tmp, "square", args.side, args.cell, LON0)
        cells = len(services.plan_cells(engine, slug))
        print(f"{args.db}: {cells:,} cells gridded in {time.perf_counter() - t:.1f} s")
        tiles_table(engine, slug, args.side, args.repeat)
        if args.browser:
            small = square(engine, tmp, "small", math.sqrt(1000) * args.cell, args.cell,
                           LON0 + 0.1)  # fmt: skip
            services.add_user(engine, "manager", role="manager", password=PASSWORD)
            n = len(services.plan_cells(engine, small))
            first_screens(url, tmp, {f"{cells:,} cells": slug, f"{n:,} cells": small}, args.repeat)  # fmt: skip
            # the yardstick of issue 19: the same plan as the compact GeoJSON the map drew before
            first_screens(url, tmp, {f"{cells:,} cells as compact GeoJSON, no tiles": slug},
                          args.repeat, tiles_above=cells + 1)  # fmt: skip
    finally:
        engine.dispose()
        if schema is not None:
            from sqlalchemy import create_engine, text

            with create_engine(os.environ["GRIDMGR_TEST_PG_URL"]).begin() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))


if __name__ == "__main__":
    main()
