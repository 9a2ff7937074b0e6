"""Server time and bytes of the coverage map page at 654 and 10,000 cells, and of the /cells API.

Run: python benchmarks/bench_web.py [--repeat N]

Each plan lives on a fresh SQLite database, staffed (one warden per five cells) and scheduled "3+2"
with a round logged in every cell. Times are the median of N requests through the WSGI app in this
process (no network). The baseline, built in the same process, is plain Folium inlining the same
cells' GeoJSON with the same properties (what a page made naively would send).
"""

from __future__ import annotations

import argparse
import math
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import folium
from bench_gridding import TARGET_KM2, bench_area_file, wardens_csv

from gridmgr import services
from gridmgr.db.store import make_engine, upgrade
from gridmgr.web import create_app

PASSWORD = "bench password"
TARGETS = {"page_654_ms": 150, "page_654_kb": 400, "data_10k_mb": 2.0, "cells_10k_ms": 500}


def build(tmp: Path, n_cells: int, *, count: bool) -> tuple[str, str]:
    """A database with one area split into about n_cells cells, staffed, scheduled, one round each."""
    url = f"sqlite:///{tmp / f'web{n_cells}.db'}"
    engine = make_engine(url)
    try:
        upgrade(engine)
        slug = services.add_area(engine, bench_area_file(tmp), name=f"Bench {n_cells}").slug
        if count:
            services.grid(engine, slug, count=n_cells)
        else:
            services.grid(engine, slug, cell_size=math.sqrt(TARGET_KM2 * 1e6 / n_cells))
        services.import_wardens(engine, wardens_csv(tmp, max(n_cells // 5, 1)))
        services.auto_assign(engine, slug)
        services.set_schedule(engine, slug, None, extra=2)
        services.add_user(engine, "manager", role="manager", password=PASSWORD)
        return url, slug
    finally:
        engine.dispose()


def timed_get(client, path: str, repeat: int) -> tuple[float, int]:
    """Median server time (ms) and body size (bytes) of GET path."""
    times, size = [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        resp = client.get(path)
        body = resp.get_data()
        times.append((time.perf_counter() - t0) * 1000)
        assert resp.status_code == 200, (path, resp.status_code, body[:300])
        size = len(body)
    return statistics.median(times), size


def plain_folium_bytes(url: str, slug: str) -> int:
    """Bytes of a plain Folium map inlining the cells' GeoJSON with code, status and wardens."""
    engine = make_engine(url)
    try:
        report = services.coverage_report(engine, slug, with_cells=True)
        cells = services.plan_cells(engine, slug)
    finally:
        engine.dispose()
    status = dict(zip(report.cells.code, report.cells.status, strict=True))
    cells = cells[["code", "wardens", "geometry"]].assign(status=[status[c] for c in cells["code"]])
    m = folium.Map()
    folium.GeoJson(
        cells.to_json(), tooltip=folium.GeoJsonTooltip(["code", "status", "wardens"])
    ).add_to(m)
    return len(m.get_root().render().encode())


def login(client) -> None:
    page = client.get("/login").get_data(as_text=True)
    marker = 'name="csrf_token" value="'
    start = page.index(marker) + len(marker)
    token = page[start : page.index('"', start)]
    got = client.post(
        "/login", data={"username": "manager", "password": PASSWORD, "csrf_token": token}
    )
    assert got.status_code == 302, got.get_data(as_text=True)[:300]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    print(f"{'plan':<14} {'map page ms':>11} {'map page KB':>11} {'map data KB':>11} "
          f"{'/cells ms':>9} {'/cells KB':>9} {'plain Folium KB':>15} {'data / Folium':>13}")  # fmt: skip
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n, count in [(654, True), (10_000, False)]:
            url, slug = build(Path(tmp), n, count=count)
            app = create_app(
                {"DATABASE_URL": url, "INSTANCE_PATH": str(Path(tmp) / "instance"), "TILES_URL": ""}
            )
            client = app.test_client()
            login(client)
            page_ms, page_b = timed_get(client, f"/areas/{slug}/map", args.repeat)
            cells_ms, cells_b = timed_get(client, f"/api/v1/areas/{slug}/cells", args.repeat)
            # what the map page itself fetches when the plan is too large to inline: the URL in its script
            html = client.get(f"/areas/{slug}/map").get_data(as_text=True)
            fetched = re.search(rf"/api/v1/areas/{re.escape(slug)}/cells\?[^\"'\s]*", html)
            data_b = page_b
            if fetched is not None:
                found = fetched.group(0).replace("\\u0026", "&").replace("&amp;", "&")
                data_b += timed_get(client, found, 1)[1]
            folium_b = plain_folium_bytes(url, slug)
            app.extensions["gridmgr.engine"].dispose()
            results[n] = (page_ms, page_b, data_b, cells_ms, cells_b, folium_b)
            print(f"{n:<14,} {page_ms:>11.1f} {page_b / 1024:>11.1f} {data_b / 1024:>11.1f} {cells_ms:>9.1f} "
                  f"{cells_b / 1024:>9.1f} {folium_b / 1024:>15.1f} {data_b / folium_b:>13.2f}")  # fmt: skip
    p654, p10k = results[654], results[10_000]
    checks = [
        ("654-cell page under 150 ms", p654[0] < TARGETS["page_654_ms"]),
        ("654-cell page under 400 KB", p654[1] < TARGETS["page_654_kb"] * 1024),
        ("map data for 10,000 cells under 2 MB", p10k[2] < TARGETS["data_10k_mb"] * 1024 * 1024),
        ("map data for 10,000 cells at most half of plain Folium", p10k[2] <= p10k[5] / 2),
        ("/cells for 10,000 cells under 500 ms", p10k[3] < TARGETS["cells_10k_ms"]),
    ]
    for name, ok in checks:
        print(f"{'met    ' if ok else 'NOT MET'}  {name}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
