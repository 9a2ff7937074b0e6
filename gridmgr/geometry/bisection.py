"""Exactly N cells of equal area by recursive bisection, keeping each cell one piece where the area allows."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from gridmgr.geometry.arrays import Floats, GeoArray, Ints
from gridmgr.geometry.shapes import has_area

# cut directions as (cos, sin) of the cut's normal: vertical, horizontal and the two diagonals
_DIRECTIONS = {
    0: (1.0, 0.0),
    90: (0.0, 1.0),
    45: (math.sqrt(0.5), math.sqrt(0.5)),
    135: (-math.sqrt(0.5), math.sqrt(0.5)),
}
_SAMPLES = 33  # cut positions tried per round while narrowing down a cut on a large piece
_MAX_BREAKPOINTS = 512  # vertices evaluated at once when solving a cut exactly
_NEGLIGIBLE = 1e-10  # parts smaller than this share of a piece are numerical dust
# when no main direction keeps both halves whole: a fan of directions this many degrees apart,
# then finer steps around the best of them
_FAN_STEP = 5
_FINE_STEP = 0.5
FAN = [float(a) for a in range(0, 180, _FAN_STEP) if a % 45]  # the directions not tried first
# own ground in a half smaller than this (m²), or nowhere wider than _OWN_WIDTH_M, is a rounding hair
_OWN_M2 = 1e-4
_OWN_WIDTH_M = 1e-3


@dataclass
class _Piece:
    geom: BaseGeometry
    n: int
    anchor_xy: Floats  # (m, 2) points where detached islands hang on this piece
    anchor_mass: Floats  # (m,) the islands' areas
    anchor_id: Ints  # (m,) island numbers
    # the piece's own ground when it holds crumb ground too (`equal_area_cells`), else None
    own: BaseGeometry | None = None


def equal_area_cells(
    region: BaseGeometry, n: int, own: BaseGeometry | None = None
) -> list[BaseGeometry]:
    """Split a metric (Multi)Polygon into exactly `n` cells of equal area.

    Each piece is cut across its longest extent where its area splits k : n-k; a cut that would
    leave a half in two pieces is traded for another direction or a neighbouring k, and when the
    vertical, horizontal and diagonal cuts all do (each crosses a notch, or passes a hole poking
    into the piece), the cut is turned through a fan of directions until one keeps both halves
    whole (the least split one otherwise). A separate
    island smaller than one cell hangs on the nearest point of the mainland as a point mass, so
    the cell that takes it is cut smaller by the island's area and stays equal to the rest.
    `own`, the region's own ground when it took in crumbs across a line (`Blocks.own`), counts
    as well: a half is whole when its own ground is one piece too, so no cell holds own ground
    on both sides of a line, joined only through a crumb.
    """
    region = shapely.orient_polygons(region)
    if n == 1:
        return [region]
    # cut near the origin: far from it (projected metres in the millions) a sliver's intersections
    # lose the digits that tell its halves' areas apart
    xmin, ymin, xmax, ymax = region.bounds
    centre = np.array([(xmin + xmax) / 2, (ymin + ymax) / 2])
    local = shapely.transform(region, lambda xy: xy - centre)
    local_own = None
    if own is not None and own.area < region.area - _OWN_M2:
        local_own = shapely.transform(own, lambda xy: xy - centre)
    cells = _cells_near_origin(local, n, local_own)
    return [shapely.transform(c, lambda xy: xy + centre) for c in cells]


def _cells_near_origin(
    region: BaseGeometry, n: int, own: BaseGeometry | None = None
) -> list[BaseGeometry]:
    """equal_area_cells for a region centred on the origin."""
    parts = shapely.get_parts(region)
    areas = shapely.area(parts)
    cell = areas.sum() / n
    small = areas < cell
    if small.all():
        small[:] = False
    mainland = shapely.union_all(parts[~small]) if small.any() else region
    islands = parts[small]
    if len(islands):
        anchors = shapely.get_coordinates(shapely.shortest_line(islands, mainland))[1::2]
    else:
        anchors = np.zeros((0, 2))
    stack = [_Piece(mainland, n, anchors, areas[small], np.arange(len(islands)), own)]
    cells: list[BaseGeometry] = []
    for_islands: list[Ints] = []
    while stack:
        piece = stack.pop()
        if piece.n == 1:
            cells.append(piece.geom)
            for_islands.append(piece.anchor_id)
            continue
        stack.extend(_bisect(piece, islands))
    if len(islands):
        cells = [
            shapely.union_all([c, *islands[ids]]) if len(ids) else c
            for c, ids in zip(cells, for_islands, strict=True)
        ]
    return cells


def _edges(geom: BaseGeometry, origin: Floats) -> Floats:
    """All ring edges of a polygonal geometry as (E, 4) rows x1, y1, x2, y2, relative to origin."""
    rings = shapely.get_rings(shapely.get_parts(geom))
    xy, idx = shapely.get_coordinates(rings, return_index=True)
    xy = xy - origin
    same = idx[1:] == idx[:-1]
    return np.column_stack([xy[:-1][same], xy[1:][same]])


def _area_below(edges: Floats, c: float, s: float, ts: Floats) -> Floats:
    """Area of the polygon where x*c + y*s <= t, for each t (exact, from Green's theorem).

    Along the cut dp = 0, so only the original edges contribute: A(t) = -sum of the integral of
    q dp over each edge's part with p <= t, which is a trapezoid in closed form.
    """
    x1, y1, x2, y2 = edges.T
    p1, p2 = x1 * c + y1 * s, x2 * c + y2 * s
    q1, q2 = -x1 * s + y1 * c, -x2 * s + y2 * c
    rightward = p2 > p1
    lo = np.minimum(p1, p2)
    hi = np.maximum(p1, p2)
    q_lo = np.where(rightward, q1, q2)
    q_hi = np.where(rightward, q2, q1)
    width = hi - lo
    slope = np.divide(q_hi - q_lo, width, out=np.zeros_like(width), where=width > 0)
    sign = np.where(rightward, 1.0, -1.0)
    u = np.clip(ts[:, None], lo[None, :], hi[None, :]) - lo[None, :]
    integral = u * (q_lo[None, :] + 0.5 * slope[None, :] * u)
    below: Floats = -(sign[None, :] * integral).sum(axis=1)
    return below


def _solve_cut(
    edges: Floats,
    c: float,
    s: float,
    target: float,
    anchor_p: Floats,
    anchor_mass: Floats,
) -> float:
    """The cut position t where the area (islands included) with p <= t equals target.

    The polygon's area below t is a quadratic between consecutive vertex positions, so the
    exact t comes from evaluating it at the vertices around the target and solving there.
    """
    p = np.concatenate([edges[:, 0] * c + edges[:, 1] * s, edges[:, 2] * c + edges[:, 3] * s])
    lo, hi = float(p.min()), float(p.max())

    def mass_upto(ts: Floats) -> Floats:
        if len(anchor_p) == 0:
            return np.zeros(len(ts))
        mass: Floats = ((anchor_p[None, :] <= ts[:, None]) * anchor_mass[None, :]).sum(axis=1)
        return mass

    def area(ts: Floats) -> Floats:
        return _area_below(edges, c, s, ts) + mass_upto(ts)

    # narrow down by sampling while too many vertices lie in the bracket to evaluate at once
    inside = p
    while len(inside) > _MAX_BREAKPOINTS:
        ts = np.linspace(lo, hi, _SAMPLES)
        k = int(np.clip(np.searchsorted(area(ts), target), 1, _SAMPLES - 1))
        lo, hi = float(ts[k - 1]), float(ts[k])
        inside = p[(p > lo) & (p < hi)]
    breaks = np.unique(
        np.concatenate([[lo, hi], inside, anchor_p[(anchor_p > lo) & (anchor_p < hi)]])
    )
    a = area(breaks)
    k = int(np.clip(np.searchsorted(a, target), 1, len(breaks) - 1))
    lo, hi = float(breaks[k - 1]), float(breaks[k])
    # islands are constant on [lo, hi): solve the polygon's quadratic there
    want = target - float(mass_upto(np.array([lo]))[0])
    a0, am, a1 = _area_below(edges, c, s, np.array([lo, 0.5 * (lo + hi), hi]))
    h = hi - lo
    if h <= 0:
        return lo
    quad = 2.0 * (a1 - 2.0 * am + a0) / (h * h)
    lin = (a1 - a0) / h - quad * h
    d = want - a0
    if d <= 0:
        return lo
    root = lin * lin + 4.0 * quad * d
    denom = lin + np.sqrt(max(root, 0.0))
    u = 2.0 * d / denom if denom > 0 else h
    return lo + min(max(u, 0.0), h)


def _halfplane(origin: Floats, c: float, s: float, t: float, reach: float) -> shapely.Polygon:
    """The polygon {x*c + y*s <= t} (relative to origin), cut to a square of half-side `reach`."""
    n = np.array([c, s])
    d = np.array([-s, c])
    on = origin + n * t
    back = on - n * 2 * reach
    pts = [on - d * reach, on + d * reach, back + d * reach, back - d * reach]
    return shapely.Polygon(pts)


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


def _own_badness(half: BaseGeometry, own: BaseGeometry | None) -> float:
    """Own ground of the half outside its largest piece (rounding hairs aside): 0 without `own`."""
    if own is None:
        return 0.0
    parts = shapely.get_parts(shapely.intersection(half, own))
    parts = parts[(shapely.get_type_id(parts) == 3) & (shapely.area(parts) >= _OWN_M2)]
    if len(parts) < 2:
        return 0.0
    parts = parts[has_area(parts, _OWN_WIDTH_M)]
    areas = shapely.area(parts)
    return float(areas.sum() - areas.max()) if len(areas) > 1 else 0.0


@dataclass(frozen=True)
class _Cut:
    """A cut of a piece into two halves (k cells below it), and how far they are from whole."""

    badness: float  # area outside the largest part of each half: 0 when both are one piece
    below: BaseGeometry
    above: BaseGeometry
    k: int
    on_below: npt.NDArray[np.bool_]  # which of the piece's islands hang below the cut
    angle: float  # the direction of the cut's normal, degrees


def cut_direction(angle: float) -> tuple[float, float]:
    """The unit normal (cos, sin) of a cut at `angle` degrees (exact for the four main ones)."""
    if angle in _DIRECTIONS:
        return _DIRECTIONS[int(angle)]
    return math.cos(math.radians(angle)), math.sin(math.radians(angle))


def fine_fan(angle: float) -> list[float]:
    """Directions around `angle` (degrees) within one coarse step, in fine steps, nearest first."""
    offsets = np.arange(_FINE_STEP, _FAN_STEP, _FINE_STEP)
    around = np.column_stack([angle - offsets, angle + offsets]).ravel()
    return [float(a % 180.0) for a in around]


def _search(
    cut_at: Callable[[int, float], _Cut | None],
    ks: list[int],
    angles: Sequence[float],
    best: _Cut | None,
) -> _Cut | None:
    """The best of `best` and the cuts for each k in each direction; the first that keeps both
    halves whole ends the search."""
    for k in ks:
        for angle in angles:
            best = _better(best, cut_at(k, angle))
            if best is not None and best.badness == 0.0:
                return best
    return best


def _better(best: _Cut | None, cut: _Cut | None) -> _Cut | None:
    """The better of two cuts: the one whose halves are closer to whole (the first on a tie)."""
    if cut is None:
        return best
    if best is None or cut.badness < best.badness:
        return cut
    return best


def _cut(
    piece: _Piece,
    edges: Floats,
    origin: Floats,
    reach: float,
    floor: float,
    total: float,
    k: int,
    angle: float,
    own: BaseGeometry | None = None,
) -> _Cut | None:
    """The cut at `angle` leaving exactly k / n of the piece (islands included) below it, or None
    when there is none that way (the target falls inside an island's share, or a half is empty)."""
    c, s = cut_direction(angle)
    anchor_p = (
        (piece.anchor_xy - origin) @ np.array([c, s]) if len(piece.anchor_mass) else np.zeros(0)
    )
    want = total * k / piece.n
    t = _solve_cut(edges, c, s, want, anchor_p, piece.anchor_mass)
    cutter = _halfplane(origin, c, s, t, reach)
    below = _clean(shapely.intersection(piece.geom, cutter), floor)
    above = _clean(shapely.difference(piece.geom, cutter), floor)
    if below.is_empty or above.is_empty:
        return None
    on_below = anchor_p <= t
    achieved = below.area + float(piece.anchor_mass[on_below].sum())
    if abs(achieved - want) > 1e-9 * total:
        return None  # the target fell inside an island's share: no exact cut this way
    badness = _split_badness(below) + _split_badness(above)
    badness += _own_badness(below, own) + _own_badness(above, own)
    return _Cut(badness, below, above, k, on_below, angle)


def _bisect(piece: _Piece, islands: GeoArray) -> list[_Piece]:
    """Cut a piece in two whose areas (islands included) are exactly k : n-k of it (each half's
    own ground in one piece where the piece's is: `equal_area_cells`)."""
    geom, n = piece.geom, piece.n
    own = _own_in(geom, piece.own)
    xmin, ymin, xmax, ymax = geom.bounds
    origin = np.array([(xmin + xmax) / 2, (ymin + ymax) / 2])
    reach = 2.0 * max(xmax - xmin, ymax - ymin) + 1.0
    edges = _edges(geom, origin)
    total = geom.area + float(piece.anchor_mass.sum())
    floor = _NEGLIGIBLE * geom.area

    xy = np.concatenate([edges[:, :2], edges[:, 2:]])

    def extent(cs: tuple[float, float]) -> float:
        p = xy @ np.array(cs)
        return float(p.max() - p.min())

    # straight cuts across the longer side first: they leave rectangles, diagonals leave triangles
    angles = [*sorted((0, 90), key=lambda a: -extent(_DIRECTIONS[a])), 45, 135]
    half = n // 2
    ks = list(dict.fromkeys(k for k in (half, n - half, half - 1, n - half + 1) if 1 <= k < n))

    whole_piece = shapely.get_num_geometries(geom) == 1 and _own_badness(geom, own) == 0.0
    if not whole_piece:
        ks = ks[:2]  # a piece already in several parts: no cut makes both halves whole

    def cut_at(k: int, angle: float) -> _Cut | None:
        return _cut(piece, edges, origin, reach, floor, total, k, angle, own)

    best = _search(cut_at, ks, angles, None)
    if best is not None and best.badness > 0.0 and whole_piece:
        # no straight or diagonal cut keeps both halves whole (each crosses a notch, or passes a
        # hole that pokes into the piece): turn the cut through a fan of directions, then finer
        # around the best of them; a cut through the notch's mouth leaves both halves whole
        best = _search(cut_at, ks, FAN, best)
    if best is not None and best.badness > 0.0 and whole_piece:
        best = _search(cut_at, ks, fine_fan(best.angle), best)
    if best is None:
        if len(piece.anchor_id) == 0:
            raise RuntimeError("no cut found")  # unreachable: area below a cut is continuous
        # islands too large to hang on one cell of this piece: cut through them like land
        whole = shapely.orient_polygons(shapely.union_all([geom, *islands[piece.anchor_id]]))
        empty = np.zeros(0, np.int64)
        return _bisect(_Piece(whole, n, np.zeros((0, 2)), np.zeros(0), empty, own), islands)
    below, above, k, on_below = best.below, best.above, best.k, best.on_below
    return [
        _Piece(
            below,
            k,
            piece.anchor_xy[on_below],
            piece.anchor_mass[on_below],
            piece.anchor_id[on_below],
            own,
        ),
        _Piece(
            above,
            n - k,
            piece.anchor_xy[~on_below],
            piece.anchor_mass[~on_below],
            piece.anchor_id[~on_below],
            own,
        ),
    ]


def _own_in(geom: BaseGeometry, own: BaseGeometry | None) -> BaseGeometry | None:
    """The own ground within a piece, or None when the piece holds no crumb ground (then every
    cut of it is judged by its halves alone)."""
    if own is None:
        return None
    here = shapely.intersection(geom, own)
    return here if geom.area - here.area >= _OWN_M2 else None
