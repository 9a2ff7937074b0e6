"""Vector tiles of a big plan (issue 19): one tile per zoom over the middle of a square gridded for
real into about 100,000 cells, through `services.plan_tile`, against the baseline of the whole plan as
the compact cells the coverage map fetched before (`plan_cells_at` + `cells_to_compact`).

Run: python benchmarks/bench_tiles.py [--db sqlite|postgis] [--side 3160] [--cell 10] [--repeat 3]

PostGIS needs GRIDMGR_TEST_PG_URL (a schema of its own is made and dropped). Times are the best of
`--repeat` in this process; bytes are the tile's uncompressed and gzipped.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

from gridmgr import services
from gridmgr.db.store import make_engine, upgrade
from gridmgr.services.cellmap import plan_cells_at
from gridmgr.services.tiles import plan_tile
from gridmgr.web.api.cells_json import cells_to_compact

LON0, LAT0 = 126.60, 45.75


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", choices=("sqlite", "postgis"), default="sqlite")
    ap.add_argument("--side", type=float, default=3160.0, help="the square's side in metres")
    ap.add_argument("--cell", type=float, default=10.0, help="cell size in metres")
    ap.add_argument("--repeat", type=int, default=3)
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
        dlat = args.side / 111320
        dlon = args.side / (111320 * math.cos(math.radians(LAT0)))
        ring = [[LON0, LAT0], [LON0 + dlon, LAT0], [LON0 + dlon, LAT0 + dlat], [LON0, LAT0 + dlat]]
        path = tmp / "square.geojson"
        path.write_text(json.dumps({"type": "Polygon", "coordinates": [[*ring, ring[0]]]}))
        slug = services.add_area(engine, path, name="Square", slug="square").slug
        t = time.perf_counter()
        made = services.grid(engine, slug, cell_size=args.cell)
        print(f"{args.db}: {made.cells:,} cells gridded in {time.perf_counter() - t:.1f} s")
        whole, text_ = best(
            args.repeat,
            lambda: cells_to_compact(
                plan_cells_at(engine, slug, states=True), ("code", "status", "wardens"), 6
            ),
        )
        body = str(text_).encode()
        print(f"baseline: the whole plan as compact cells {whole:.2f} s, {len(body) / 1e6:.1f} MB "
              f"({len(gzip.compress(body)) / 1e6:.2f} MB gzip)")  # fmt: skip
        print("zoom  cells   bytes      gzip      time    time/baseline")
        for z in range(12, 19):
            x, y = tile_xy(LON0 + dlon / 2, LAT0 + dlat / 2, z)
            took, tile = best(args.repeat, lambda z=z, x=x, y=y: plan_tile(engine, slug, z, x, y))
            data = tile.data  # type: ignore[attr-defined]
            print(f"{z:>4} {tile.cells:>7,} {len(data):>9,} {len(gzip.compress(data)):>9,} "  # type: ignore[attr-defined]
                  f"{took * 1000:>7.0f} ms {took / whole:>8.3f}")  # fmt: skip
    finally:
        engine.dispose()
        if schema is not None:
            from sqlalchemy import create_engine, text

            with create_engine(os.environ["GRIDMGR_TEST_PG_URL"]).begin() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))


if __name__ == "__main__":
    main()
