"""Time gridding against the naive recipe and against h3, in one process, and print the ratios.

Run: python benchmarks/bench_gridding.py [--quick]

The area is a 390 km² concave polygon with a lake (a hole), drawn here so the run needs no files.
Cell-size mode is timed at about 10k, 100k and 1M cells against (a) the naive recipe: shapely
boxes over the bounding box, intersected with the area, back to WGS84; (b) h3.polygon_to_cells at
the resolution that gives about the same count (h3 returns cell ids only, no geometry). Count
mode is timed at 654 and 10,000 cells. Figures are wall-clock seconds on this machine; the
ratios are what to compare across machines.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from gridmgr.geometry.gridding import cells_from_area
from gridmgr.geometry.projection import WGS84, metric_crs, to_metric, to_wgs84

TARGET_KM2 = 390.0


def bench_area() -> shapely.Geometry:
    """A concave 390 km² polygon with a hole near Harbin, in WGS84."""
    t = np.linspace(0, 2 * np.pi, 240, endpoint=False)
    r = 1.0 + 0.18 * np.sin(5 * t) + 0.07 * np.cos(11 * t)
    x, y = r * np.cos(t) * 1.3, r * np.sin(t)
    outer = shapely.Polygon(np.column_stack([x, y]))
    bay = shapely.Polygon([(0.2, -0.1), (1.6, -0.45), (1.6, 0.35)])  # a deep inlet: concave
    lake = shapely.Point(-0.45, 0.2).buffer(0.22, 24)
    shape = shapely.difference(shapely.difference(outer, bay), lake)
    scale = math.sqrt(TARGET_KM2 * 1e6 / shape.area)
    local = shapely.affinity.scale(shape, scale, scale, origin=(0, 0))
    # place it in the UTM zone of Harbin and bring it to WGS84
    from pyproj import CRS

    crs = CRS.from_epsg(32652)
    placed = shapely.affinity.translate(local, 370_000, 5_065_000)
    return shapely.orient_polygons(to_wgs84(placed, crs))


def bench_area_file(folder: Path) -> Path:
    """bench_area() written as a GeoJSON Feature into folder, for the services that read files."""
    path = folder / "area.geojson"
    feature = {
        "type": "Feature",
        "properties": {},
        "geometry": shapely.geometry.mapping(bench_area()),
    }
    path.write_text(json.dumps(feature), encoding="utf-8")
    return path


def wardens_csv(folder: Path, n: int) -> Path:
    """A wardens file of n made-up wardens (name,phone)."""
    path = folder / "wardens.csv"
    rows = "".join(f"w{k},1{k:010d}\n" for k in range(n))
    path.write_text("name,phone\n" + rows, encoding="utf-8")
    return path


def naive_cells(area: shapely.Geometry, size: float) -> gpd.GeoDataFrame:
    """The recipe people write first: boxes over the bounding box, intersected, reprojected."""
    crs = metric_crs(area)
    region = to_metric(area, crs)
    xmin, ymin, xmax, ymax = region.bounds
    xs = np.arange(math.floor(xmin / size) * size, xmax, size)
    ys = np.arange(math.floor(ymin / size) * size, ymax, size)
    gx, gy = np.meshgrid(xs, ys)
    boxes = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + size, gy.ravel() + size)
    clipped = shapely.intersection(boxes, region)
    clipped = clipped[~shapely.is_empty(clipped)]
    return gpd.GeoDataFrame(geometry=clipped, crs=crs).to_crs(WGS84)


def h3_cells(area: shapely.Geometry, cells_wanted: int) -> tuple[int, int]:
    """h3.polygon_to_cells at the resolution whose count is nearest the wanted one: (res, count)."""
    import h3

    shell = [(lat, lon) for lon, lat in area.exterior.coords[:-1]]
    holes = [[(lat, lon) for lon, lat in ring.coords[:-1]] for ring in area.interiors]
    poly = h3.LatLngPoly(shell, *holes)
    km2 = TARGET_KM2
    best = min(
        range(6, 14),
        key=lambda r: abs(math.log(km2 / h3.average_hexagon_area(r, "km^2") / cells_wanted)),
    )
    return best, len(h3.polygon_to_cells(poly, best))


def timed(fn, *args, repeat: int = 1, **kwargs):
    best = math.inf
    result = None
    for _ in range(repeat):
        result = None  # free the previous run's result outside the timed part
        t0 = time.perf_counter()
        result = fn(*args, **kwargs)
        best = min(best, time.perf_counter() - t0)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 1M-cell runs")
    args = parser.parse_args()
    area = bench_area()
    print(
        f"area: {TARGET_KM2:.0f} km², concave with a hole, {shapely.get_num_coordinates(area)} vertices"
    )
    targets = [10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000]
    print("\ncell-size mode (squares)")
    print(
        f"{'cells':>9} {'gridmgr s':>10} {'naive s':>9} {'ratio':>6} {'h3 res':>6} {'h3 cells':>9} {'h3 s':>7} {'µs/cell ours':>13} {'µs/cell h3':>11} {'per-cell ratio':>15}"
    )
    try:
        import h3  # noqa: F401

        have_h3 = True
    except ImportError:
        have_h3 = False
    for n in targets:
        size = math.sqrt(TARGET_KM2 * 1e6 / n)
        ours_s, cells = timed(
            cells_from_area, area, cell_size=size, repeat=2 if n < 1_000_000 else 1
        )
        naive_s, naive = timed(naive_cells, area, size)
        if have_h3:
            h3_s, (res, h3_n) = timed(h3_cells, area, n, repeat=2)
        else:
            h3_s, res, h3_n = math.nan, 0, 0
        ours_pc = ours_s / len(cells) * 1e6
        h3_pc = h3_s / h3_n * 1e6 if h3_n else math.nan
        print(
            f"{len(cells):>9,} {ours_s:>10.3f} {naive_s:>9.3f} {ours_s / naive_s:>6.2f} {res:>6} {h3_n:>9,} {h3_s:>7.3f} "
            f"{ours_pc:>13.2f} {h3_pc:>11.2f} {ours_pc / h3_pc:>15.2f}"
        )
        del cells, naive
    print("\ncount mode (equal-area bisection)")
    for n in (654, 10_000):
        secs, cells = timed(cells_from_area, area, count=n)
        q = cells.attrs["quality"]
        print(
            f"{n:>9,} cells: {secs:.3f} s  (CV {q['cell_area_cv']:.1e}, mean Polsby-Popper {q['polsby_popper_mean']:.3f}, multi-part {q['multipart_cells']})"
        )


if __name__ == "__main__":
    main()
