"""Cells balanced by workload: gridmgr's weighted bisection against GerryChain's recursive tree
partition on the same households, in one process, and print the ratios.

Run: python benchmarks/bench_balance.py [--unit 50] [--seed 18]   (needs the bench extra: gerrychain)

The input is issue 18's acceptance case: a made-up district of about 25 km² near Beijing with
22,000 households (an estate of 20,000 in a tight cluster beside five villages of 400), into 50
cells. gridmgr cuts the outline itself (`cells_from_area(count=50, weight=...)`). GerryChain, the
field's regionalisation for districting, partitions a graph: here a lattice of `--unit` metre
squares clipped to the district (rook adjacency), each square weighing the households in it, into
50 parts within ±`--epsilon` of the mean (default 10 %; at 5 % it finds no cut on this input) (`recursive_tree_part`); its cells are the dissolved squares.
Compared: balance (CV of households per cell), compactness (mean Polsby-Popper), contiguity
(cells in one piece) and wall-clock time; the lattice and its graph are timed apart from the
partition. Figures are seconds on this machine; the ratios are what to compare across machines.
"""

from __future__ import annotations

import argparse
import math
import random
import time

import geopandas as gpd
import numpy as np
import shapely

from gridmgr.geometry.gridding import cells_from_area
from gridmgr.geometry.projection import metric_crs, to_metric, to_wgs84
from gridmgr.geometry.weighted import Weights

CELLS = 50


def district() -> shapely.Polygon:
    """An irregular district of about 25 km² near Beijing (as tests/geometry/test_weighted.py)."""
    radii = np.array([3600, 3100, 2500, 2900, 3300, 2600, 2200, 2700, 3400, 3000, 2400, 2800])
    t = np.linspace(0, 2 * np.pi, len(radii), endpoint=False)
    lon, lat = 116.30, 39.95
    dx = radii * np.cos(t) / (111_320.0 * math.cos(math.radians(lat)))
    dy = radii * np.sin(t) / 111_320.0
    return shapely.Polygon(np.column_stack([lon + dx, lat + dy]))


def households(region: shapely.Geometry, seed: int) -> np.ndarray:
    """20,000 households in an estate west of the centre and 2,000 in five villages (metric xy)."""
    rng = np.random.default_rng(seed)
    xmin, ymin, xmax, ymax = region.bounds
    w, h = xmax - xmin, ymax - ymin

    def cluster(n: int, fx: float, fy: float, sd: float) -> np.ndarray:
        got = np.zeros((0, 2))
        while len(got) < n:
            p = rng.normal([xmin + fx * w, ymin + fy * h], sd, size=(n, 2))
            got = np.concatenate([got, p[shapely.contains_xy(region, p[:, 0], p[:, 1])]])
        return got[:n]

    villages = [(0.75, 0.3), (0.7, 0.72), (0.3, 0.2), (0.85, 0.55), (0.5, 0.85)]
    return np.concatenate(
        [cluster(20_000, 0.38, 0.5, 350.0), *(cluster(400, fx, fy, 120.0) for fx, fy in villages)]
    )


def figures(cells: np.ndarray, xy: np.ndarray) -> dict[str, float]:
    """Balance, compactness and contiguity of metric cells over the households."""
    tree = shapely.STRtree(cells)
    point, cell = tree.query(shapely.points(xy), predicate="intersects")
    _, first = np.unique(point, return_index=True)
    count = np.bincount(cell[first], minlength=len(cells)).astype(float)
    pp = 4 * math.pi * shapely.area(cells) / shapely.length(cells) ** 2
    return {
        "cv": float(count.std() / count.mean()),
        "worst": float(np.abs(count / count.mean() - 1).max()),
        "polsby_popper": float(pp.mean()),
        "one_piece": float((shapely.get_num_geometries(cells) == 1).mean()),
    }


def run_gridmgr(area: shapely.Polygon, xy_wgs: np.ndarray, crs) -> tuple[np.ndarray, float]:
    weights = Weights(xy_wgs, np.ones(len(xy_wgs)))
    start = time.perf_counter()
    cells = cells_from_area(area, count=CELLS, weight=weights)
    took = time.perf_counter() - start
    return to_metric(np.asarray(cells.geometry.values), crs), took


def run_gerrychain(
    area: shapely.Polygon, xy: np.ndarray, crs, unit: float, seed: int, epsilon: float
) -> tuple[np.ndarray, float, float]:
    from gerrychain import Graph
    from gerrychain.partition import recursive_tree_part

    start = time.perf_counter()
    squares = cells_from_area(area, cell_size=unit, min_fraction=0.0)
    metric = to_metric(np.asarray(squares.geometry.values), crs)
    point, sq = shapely.STRtree(metric).query(shapely.points(xy), predicate="intersects")
    _, first = np.unique(point, return_index=True)
    pop = np.bincount(sq[first], minlength=len(metric))
    units = gpd.GeoDataFrame({"households": pop}, geometry=list(metric), crs=crs)
    graph = Graph.from_geodataframe(units, adjacency="rook", ignore_errors=True)
    prepared = time.perf_counter() - start
    start = time.perf_counter()
    assignment = recursive_tree_part(
        graph,
        range(CELLS),
        pop_target=len(xy) / CELLS,
        pop_col="households",
        epsilon=epsilon,
        rng=random.Random(seed),
    )
    took = time.perf_counter() - start
    part = np.array([assignment[k] for k in range(len(metric))])
    cells = np.array([shapely.union_all(metric[part == p]) for p in range(CELLS)], dtype=object)
    return cells, prepared, took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unit", type=float, default=50.0, help="GerryChain's lattice, metres")
    parser.add_argument("--seed", type=int, default=18, help="households and tree seed")
    parser.add_argument(
        "--epsilon", type=float, default=0.1, help="GerryChain's allowed deviation from the mean"
    )
    args = parser.parse_args()

    area = district()
    crs = metric_crs(area)
    region = to_metric(area, crs)
    xy = households(region, args.seed)
    xy_wgs = np.asarray(to_wgs84(shapely.points(xy), crs), dtype=object)
    print(f"{len(xy):,} households over {region.area / 1e6:.1f} km² into {CELLS} cells")

    ours, ours_s = run_gridmgr(area, xy_wgs, crs)
    theirs, prep_s, theirs_s = run_gerrychain(area, xy, crs, args.unit, args.seed, args.epsilon)
    a, b = figures(ours, xy), figures(theirs, xy)
    print(f"{'':28}{'gridmgr':>12}{'GerryChain':>14}")
    print(f"{'CV of households per cell':28}{a['cv']:>12.4f}{b['cv']:>14.4f}")
    print(f"{'worst cell off the mean':28}{a['worst']:>12.1%}{b['worst']:>14.1%}")
    print(f"{'mean Polsby-Popper':28}{a['polsby_popper']:>12.3f}{b['polsby_popper']:>14.3f}")
    print(f"{'cells in one piece':28}{a['one_piece']:>12.0%}{b['one_piece']:>14.0%}")
    print(f"{'seconds':28}{ours_s:>12.2f}{theirs_s:>14.2f}  (+{prep_s:.2f} s lattice and graph)")
    print(
        f"ratios (GerryChain / gridmgr): time {(theirs_s + prep_s) / ours_s:.1f}x with its "
        f"lattice, {theirs_s / ours_s:.1f}x partition alone; CV "
        f"{b['cv'] / a['cv'] if a['cv'] > 0 else math.inf:.1f}x; Polsby-Popper "
        f"{b['polsby_popper'] / a['polsby_popper']:.2f}x"
    )


if __name__ == "__main__":
    main()
