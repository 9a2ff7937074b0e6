"""Cells balanced by workload, not area: weight (households, visitors) as point masses, and exactly N
cells by recursive bisection where each cut splits the weight k : n-k."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from gridmgr.geometry.arrays import Bools, Floats, GeoArray, Ints
from gridmgr.geometry.bisection import FAN, cut_direction, equal_area_cells, fine_fan

_NEGLIGIBLE = 1e-10  # parts smaller than this share of a piece are numerical dust
_SPREAD_STEPS = 4  # a polygon's weight is spread over at least about this many steps across it


@dataclass(frozen=True)
class Weights:
    """What a cell's workload is made of: points (a count each) or polygons whose figure is spread
    evenly over their area, WGS84, one value per geometry."""

    geometry: GeoArray  # Points or Polygons (MultiPoints and MultiPolygons split into parts)
    value: Floats  # the weight of each geometry (a point's count, a polygon's whole figure)

    @property
    def total(self) -> float:
        """The weight of all the geometries."""
        return float(self.value.sum())


def weight_masses(
    polys_or_points: GeoArray, values: Floats, spacing: float
) -> tuple[Floats, Floats]:
    """Metric weight geometries as point masses: a point keeps its value; a polygon's value is
    spread over its area (density x area) as masses on a lattice of `spacing` metres (finer for a
    polygon narrower than that), each mass the value times its lattice cell's share of the polygon.

    Returns
    -------
    (xy, mass)
        (m, 2) coordinates and (m,) masses; their sum is the sum of `values`.
    """
    geoms = np.asarray(polys_or_points, dtype=object)
    values = np.asarray(values, dtype=float)
    kind = shapely.get_type_id(geoms)
    points = kind == 0
    xy = [shapely.get_coordinates(geoms[points])]
    mass = [values[points]]
    for geom, value in zip(geoms[~points], values[~points], strict=True):
        pieces = _lattice_pieces(geom, spacing)
        area = shapely.area(pieces)
        xy.append(shapely.get_coordinates(shapely.point_on_surface(pieces)))
        mass.append(value * area / area.sum())
    return np.concatenate(xy).reshape(-1, 2), np.concatenate(mass)


def _lattice_pieces(polygon: BaseGeometry, spacing: float) -> GeoArray:
    """The polygon cut by a square lattice of at most `spacing` metres into its pieces."""
    xmin, ymin, xmax, ymax = polygon.bounds
    step = min(spacing, max(xmax - xmin, ymax - ymin) / _SPREAD_STEPS)
    if step <= 0:
        return np.array([polygon], dtype=object)
    xs = np.arange(xmin, xmax, step)
    ys = np.arange(ymin, ymax, step)
    gx, gy = np.meshgrid(xs, ys)
    boxes = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + step, gy.ravel() + step)
    pieces = shapely.intersection(boxes, polygon)
    pieces = pieces[shapely.area(pieces) > 0]
    return pieces if len(pieces) else np.array([polygon], dtype=object)


def weight_balanced_cells(
    region: BaseGeometry, n: int, xy: Floats, mass: Floats
) -> tuple[list[BaseGeometry], Floats]:
    """Split a metric (Multi)Polygon into exactly `n` cells of (nearly) equal weight.

    Each piece is cut straight across its longer side where its weight splits k : n-k (the points
    sorted along the cut's normal, the cut halfway between the two points it falls between); a cut
    that would leave a half in two pieces is traded for the other direction, a diagonal, a
    neighbouring k, or at last a fan of directions between them (a cut through a notch). Weight
    comes in points, so a cell's weight is off the exact share by at most the points the cut fell
    between. A piece with no weight to split is cut by area.

    Parameters
    ----------
    region
        The area (metric).
    n
        How many cells.
    xy, mass
        The weight as metric point masses (`weight_masses`); those outside the region count nowhere.

    Returns
    -------
    (cells, weights)
        The cells and the weight in each.
    """
    region = shapely.orient_polygons(region)
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    mass = np.asarray(mass, dtype=float)
    if len(xy):
        shapely.prepare(region)
        inside = shapely.intersects_xy(region, xy[:, 0], xy[:, 1])
        keep = inside & (mass > 0)
        xy, mass = xy[keep], mass[keep]
    stack: list[tuple[BaseGeometry, int, Ints]] = [(region, n, np.arange(len(xy)))]
    cells: list[BaseGeometry] = []
    weights: list[float] = []
    while stack:
        geom, k, idx = stack.pop()
        if k == 1:
            cells.append(geom)
            weights.append(float(mass[idx].sum()))
            continue
        halves = _bisect(geom, k, xy[idx], mass[idx])
        if halves is None:  # nothing to balance here: equal areas, the points go where they lie
            for cell in equal_area_cells(geom, k):
                cells.append(cell)
                weights.append(_mass_in(cell, xy[idx], mass[idx]))
            continue
        (below, k_below, on_below), (above, k_above) = halves
        stack.append((above, k_above, idx[~on_below]))
        stack.append((below, k_below, idx[on_below]))
    return cells, np.array(weights)


def _mass_in(cell: BaseGeometry, xy: Floats, mass: Floats) -> float:
    if len(xy) == 0:
        return 0.0
    return float(mass[shapely.intersects_xy(cell, xy[:, 0], xy[:, 1])].sum())


def _bisect(
    geom: BaseGeometry, n: int, xy: Floats, mass: Floats
) -> tuple[tuple[BaseGeometry, int, np.ndarray], tuple[BaseGeometry, int]] | None:
    """Cut a piece in two whose weights are as near k : n-k as the points allow; None when the
    weight cannot be split (no points, or all of them in one place)."""
    total = float(mass.sum())
    if total <= 0 or len(xy) < 2 or np.ptp(xy, axis=0).max() <= 0:
        return None
    xmin, ymin, xmax, ymax = geom.bounds
    origin = np.array([(xmin + xmax) / 2, (ymin + ymax) / 2])
    reach = 2.0 * max(xmax - xmin, ymax - ymin) + 1.0
    floor = _NEGLIGIBLE * geom.area
    rel = xy - origin
    angles = [0, 90] if xmax - xmin >= ymax - ymin else [90, 0]
    angles += [45, 135]  # straight cuts leave rectangles, diagonals triangles
    half = n // 2
    ks = list(dict.fromkeys(k for k in (half, n - half, half - 1, n - half + 1) if 1 <= k < n))

    def cut_at(k: int, angle: float) -> _WeightCut | None:
        c, s = cut_direction(angle)
        t = _weight_cut(rel @ np.array([c, s]), mass, total * k / n)
        if t is None:
            return None
        cutter = _halfplane(origin, c, s, t, reach)
        below = _clean(shapely.intersection(geom, cutter), floor)
        above = _clean(shapely.difference(geom, cutter), floor)
        if below.is_empty or above.is_empty:
            return None
        on_below = rel @ np.array([c, s]) <= t
        off = abs(float(mass[on_below].sum()) - total * k / n)
        badness = (_split_badness(below) + _split_badness(above)) / geom.area
        key = (badness > 1e-9, off > 0.5 * float(mass.max()) + 1e-9, badness)
        return _WeightCut(key, below, above, k, on_below, angle)

    best = _search(cut_at, ks, angles, None)
    if best is not None and best.key[0] and shapely.get_num_geometries(geom) == 1:
        # every main direction leaves a half in pieces (it crosses a notch): a fan of directions,
        # then finer around the best, as equal-area bisection does
        best = _search(cut_at, ks, FAN, best)
        if best is not None and best.key[0]:
            best = _search(cut_at, ks, fine_fan(best.angle), best)
    if best is None:
        return None
    return (best.below, best.k, best.on_below), (best.above, n - best.k)


@dataclass(frozen=True)
class _WeightCut:
    """A cut of a piece, k cells below it; `key` orders cuts, best first: halves whole, weight
    within half a point of k : n-k, then the area outside the halves' largest parts."""

    key: tuple[bool, bool, float]
    below: BaseGeometry
    above: BaseGeometry
    k: int
    on_below: Bools
    angle: float


def _search(
    cut_at: Callable[[int, float], _WeightCut | None],
    ks: list[int],
    angles: Sequence[float],
    best: _WeightCut | None,
) -> _WeightCut | None:
    """The best of `best` and the cuts for each k in each direction; the first with both halves
    whole and the weight split as asked ends the search."""
    for k in ks:
        for angle in angles:
            cut = cut_at(k, angle)
            if cut is not None and (best is None or cut.key < best.key):
                best = cut
            if best is not None and not best.key[0] and not best.key[1]:
                return best
    return best


def _weight_cut(p: Floats, mass: Floats, target: float) -> float | None:
    """The cut position with weight nearest `target` below it: halfway between the two positions
    (points sharing a position go together) the cumulative weight crosses the target between."""
    order = np.argsort(p, kind="stable")
    ps, ms = p[order], mass[order]
    pos, first = np.unique(ps, return_index=True)
    if len(pos) < 2:
        return None
    cum = np.cumsum(np.add.reduceat(ms, first))
    j = int(np.searchsorted(cum, target))  # cum[j] >= target
    j = min(j, len(pos) - 2)
    if j > 0 and abs(cum[j - 1] - target) <= abs(cum[j] - target):
        j -= 1
    return float(0.5 * (pos[j] + pos[j + 1]))


def _halfplane(origin: Floats, c: float, s: float, t: float, reach: float) -> shapely.Polygon:
    """The polygon {x*c + y*s <= t} (relative to origin), cut to a square of half-side `reach`."""
    normal = np.array([c, s])
    along = np.array([-s, c])
    on = origin + normal * t
    back = on - normal * 2 * reach
    return shapely.Polygon(
        [on - along * reach, on + along * reach, back + along * reach, back - along * reach]
    )


def _clean(geom: BaseGeometry, floor: float) -> BaseGeometry:
    parts = shapely.get_parts(geom)
    parts = parts[(shapely.get_type_id(parts) == 3) & (shapely.area(parts) > floor)]
    if len(parts) == 1:
        single: BaseGeometry = parts[0]
        return shapely.orient_polygons(single)
    return shapely.orient_polygons(shapely.MultiPolygon(list(parts)))


def _split_badness(geom: BaseGeometry) -> float:
    """Area outside the largest part: 0 for a single piece."""
    areas = shapely.area(shapely.get_parts(geom))
    return float(areas.sum() - areas.max()) if len(areas) else 0.0


def weight_per_cell(cells: GeoArray, xy: Floats, mass: Floats) -> Floats:
    """The weight in each cell (metric): each point counted once, in the first cell that holds it."""
    out = np.zeros(len(cells))
    if len(xy) == 0 or len(cells) == 0:
        return out
    points = shapely.points(xy)
    point, cell = shapely.STRtree(cells).query(points, predicate="intersects")
    _, first = np.unique(point, return_index=True)  # a point on a shared edge counts once
    np.add.at(out, cell[first], mass[point[first]])
    return out


def weight_figures(weights: Floats, codes: list[str], *, worst: int = 5) -> dict[str, object]:
    """The spread of weight over cells: total, min, mean, max, CV, and the cells furthest off."""
    weights = np.asarray(weights, dtype=float)
    mean = float(weights.mean()) if len(weights) else 0.0
    cv = float(weights.std() / mean) if mean > 0 else 0.0
    off = np.abs(weights - mean)
    order = np.argsort(-off, kind="stable")[:worst]
    return {
        "weight_total": round(float(weights.sum()), 3),
        "weight_min": round(float(weights.min()), 3) if len(weights) else 0.0,
        "weight_mean": round(mean, 3),
        "weight_max": round(float(weights.max()), 3) if len(weights) else 0.0,
        "weight_cv": round(cv, 4),
        "weight_worst": [
            {"code": codes[k], "weight": round(float(weights[k]), 3)} for k in order.tolist()
        ],
    }
