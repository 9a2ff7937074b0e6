"""Cells from an area: by cell size (squares or hexagons), by exact count, along lines; with quality figures."""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from gridmgr.errors import InvalidInput, LimitExceeded
from gridmgr.geometry.arrays import Bools, Floats, GeoArray, Ints
from gridmgr.geometry.bisection import equal_area_cells
from gridmgr.geometry.blocks import (
    DEFAULT_SNAP_M,
    MIN_CELL_M2,
    Blocks,
    blocks_from_lines,
)
from gridmgr.geometry.lattice import Lattice
from gridmgr.geometry.lattice_cells import lattice_cells
from gridmgr.geometry.noding import WELD_M, add_shared_vertices, welded
from gridmgr.geometry.projection import WGS84, metric_crs, to_metric, to_wgs84
from gridmgr.geometry.shapes import (
    FLAT_DEGREES,
    check_cells,
    has_area,
    made_valid,
    without_tiny_coordinates,
)
from gridmgr.geometry.weighted import (
    Weights,
    weight_balanced_cells,
    weight_figures,
    weight_masses,
    weight_per_cell,
)

SHAPES = ("square", "hex")
DEFAULT_MAX_CELLS = 2_000_000


def cells_from_area(
    area: BaseGeometry | gpd.GeoSeries | gpd.GeoDataFrame,
    *,
    cell_size: float | None = None,
    count: int | None = None,
    shape: str = "square",
    split_by: BaseGeometry | gpd.GeoSeries | gpd.GeoDataFrame | None = None,
    snap: float = DEFAULT_SNAP_M,
    min_fraction: float = 0.35,
    weight: Weights | None = None,
    target_weight: float | None = None,
    prefix: str = "C-",
    max_cells: int | None = DEFAULT_MAX_CELLS,
) -> gpd.GeoDataFrame:
    """Split an area into managed cells that tile it exactly.

    Parameters
    ----------
    area
        A (Multi)Polygon in WGS84 lon/lat, or a GeoSeries/GeoDataFrame with a CRS (dissolved).
    cell_size
        Side in metres of square cells, or of the square whose area each hexagon has; cells sit on
        a lattice with a fixed origin, so the same size gives the same cells again.
    count
        Exactly this many cells of equal area, each one piece where the area allows.
    shape
        ``"square"`` or ``"hex"`` (with `cell_size` only).
    split_by
        Lines (roads, rivers, walls) in WGS84 or with a CRS: the area is cut along them into
        blocks first, blocks larger than a cell are then gridded on their own, and no cell
        crosses a line but along a crumb: a block smaller than `min_fraction` of a cell (the strip
        between two carriageways, a traffic island, an interchange loop), or too thin to be
        ground (nowhere wider than about twice LINE_SNAP_M), joins the neighbouring block across
        the shortest shared line (`geometry.crumbs`). A GeoDataFrame's ``name`` column names
        the lines crossed in the figures.
    snap
        Line ends within this many metres of another line (or the boundary) are joined to it
        before cutting, so roads that stop short of a junction still divide (default 1 m).
    min_fraction
        Clipped cells smaller than this share of a full cell merge into the neighbour they
        share the longest edge with; blocks smaller than it join a neighbouring block. In count
        mode a cell is the area over the count.
    weight
        The workload (households, entrances as points; population, visitors a day as polygons
        whose figure is spread over their area), WGS84. In count mode the cells then balance
        weight instead of area (`geometry.weighted`); in every mode each cell carries its
        ``weight`` and the figures its spread (CV) and the cells furthest off.
    target_weight
        With `weight` instead of `count` or `cell_size`: ceil(total weight / target_weight) cells.
    prefix
        Codes read ``{prefix}{seq}``, zero-padded, numbered west to east within rows, north to south.
    max_cells
        Refuse before any heavy work when the cell count would pass this.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``code``, ``area_m2``, ``geometry`` in EPSG:4326; ``attrs["quality"]`` holds the
        figures of `quality_figures` and ``attrs["metric_crs"]`` the CRS the work was done in.
    """
    region_wgs = without_tiny_coordinates(_as_wgs84_geometry(area, what="area"))
    if target_weight is not None:
        count = _count_for_target(region_wgs, weight, target_weight, cell_size, count)
    _check_options(cell_size, count, shape, min_fraction)
    if not has_area(np.array([region_wgs], dtype=object), FLAT_DEGREES)[0]:
        raise InvalidInput(
            "the area encloses no area: its corners lie on one line or repeat (it is nowhere "
            "wider than about 1 cm); draw it with at least three corners that are not on one line"
        )
    crs = metric_crs(region_wgs)
    region = made_valid(to_metric(region_wgs, crs))
    region_area = float(region.area)
    _check_budget(region_area, cell_size, count, shape, max_cells)

    xy: Floats = np.zeros((0, 2))
    mass: Floats = np.zeros(0)
    if weight is not None:
        spacing = math.sqrt(region_area / count) if count is not None else float(cell_size or 1)
        xy, mass = _masses_in(region, weight, crs, spacing / _WEIGHT_STEPS)
    split: Blocks | None = None
    if split_by is not None:
        lines, names = _split_lines(split_by, crs)
        cell_m2 = region_area / count if count is not None else _cell_area(cell_size, shape)
        split = blocks_from_lines(region, lines, names, snap=snap, crumb_m2=min_fraction * cell_m2)
    blocks = split.blocks if split is not None else np.array([region], dtype=object)
    if cell_size is not None:
        lattice = Lattice(shape, float(cell_size))
        inner = split.inner_lines if split is not None else None
        own = split.own if split is not None else None
        faced = split.inner_faced if split is not None else None
        got = lattice_cells(
            blocks, lattice, min_fraction=min_fraction, crs=crs, lines=inner, own=own, faced=faced
        )
        order = _lattice_order(got.i, got.j, got.tiebreak, got.whole)
        geometry = got.geometry[order]
        area_m2 = got.area_m2[order]
        clipped = ~got.whole[order]
        geometry[clipped] = _repaired(geometry[clipped])
        perimeter = got.perimeter_m[order]
        whole = ~clipped
    else:
        assert count is not None  # _check_options: exactly one of cell_size and count is given
        own = split.own if split is not None and len(split.own) else None
        metric_geoms = _count_cells(blocks, int(count), xy, mass, own)
        order = _row_order(metric_geoms, math.sqrt(region_area / count))
        metric_geoms = welded(metric_geoms[order], tolerance=WELD_M)
        metric_geoms = add_shared_vertices(metric_geoms, tolerance=1e-6)
        area_m2 = shapely.area(metric_geoms)
        perimeter = shapely.length(metric_geoms)
        geometry = _repaired(to_wgs84(metric_geoms, crs))
        whole = np.zeros(len(geometry), bool)

    codes = make_codes(prefix, len(geometry))
    # the last check of what was cut, merged or reprojected (whole lattice cells are sound as built)
    cut = np.flatnonzero(~whole)
    check_cells(geometry[cut], [codes[k] for k in cut])
    cells = gpd.GeoDataFrame({"code": codes, "area_m2": area_m2}, geometry=geometry, crs=WGS84)
    cells.attrs["metric_crs"] = crs.to_string()
    parts = shapely.get_num_geometries(geometry)
    cells.attrs["quality"] = quality_figures(area_m2, perimeter, parts, region_area)
    if split is not None:
        cells.attrs["quality"].update(lines_figures(split))
    if weight is not None:
        weights = weight_per_cell(to_metric(geometry, crs), xy, mass)
        cells["weight"] = weights
        cells.attrs["quality"].update(weight_figures(weights, codes))
    return cells


_WEIGHT_STEPS = 8  # a polygon's weight is spread on a lattice of an eighth of a cell


def _masses_in(
    region: BaseGeometry, weight: Weights, crs: CRS, spacing: float
) -> tuple[Floats, Floats]:
    """The weight as metric point masses inside the region (weight outside it counts nowhere)."""
    geoms = to_metric(np.asarray(weight.geometry, dtype=object), crs)
    xy, mass = weight_masses(geoms, weight.value, spacing)
    shapely.prepare(region)
    inside = shapely.intersects_xy(region, xy[:, 0], xy[:, 1]) if len(xy) else np.zeros(0, bool)
    return xy[inside], mass[inside]


def _count_for_target(
    region_wgs: BaseGeometry,
    weight: Weights | None,
    target: float,
    cell_size: float | None,
    count: int | None,
) -> int:
    """The cell count for a target weight per cell: ceil(the area's weight / target), at least 1."""
    if weight is None:
        raise InvalidInput("a target weight per cell needs the weight (a points or polygons file)")
    if cell_size is not None or count is not None:
        raise InvalidInput("give a target weight instead of a cell count or a cell size, not both")
    if not (isinstance(target, int | float) and math.isfinite(target) and target > 0):
        raise InvalidInput(f"the target weight must be a positive number; got {target!r}")
    crs = metric_crs(region_wgs)
    region = made_valid(to_metric(region_wgs, crs))
    spacing = math.sqrt(float(region.area)) / 100
    _, mass = _masses_in(region, weight, crs, spacing)
    total = float(mass.sum())
    if total <= 0:
        raise InvalidInput(
            "no weight lies inside the area: check that the weight file covers it (and its --crs)"
        )
    return max(1, math.ceil(total / target - 1e-9))


def _count_cells(
    blocks: GeoArray, count: int, xy: Floats, mass: Floats, own: GeoArray | None = None
) -> GeoArray:
    """Exactly `count` cells over the blocks: equal area, or equal weight when there is weight;
    each block's `own` ground (without the crumbs it took in) kept in one piece per cell."""
    if mass.sum() <= 0:
        counts = _allocate(np.array([b.area for b in blocks]), count)
        owns = own if own is not None else [None] * len(blocks)
        return np.array(
            [
                c
                for b, k, o in zip(blocks, counts, owns, strict=True)
                for c in equal_area_cells(b, int(k), o)
            ],
            dtype=object,
        )
    in_block = weight_per_cell(blocks, xy, mass) if len(blocks) > 1 else np.array([mass.sum()])
    counts = _allocate(in_block, count)
    cells: list[BaseGeometry] = []
    for block, k in zip(blocks, counts, strict=True):
        cells.extend(weight_balanced_cells(block, int(k), xy, mass)[0])
    return np.array(cells, dtype=object)


def make_codes(prefix: str, n: int) -> list[str]:
    """Codes ``{prefix}{seq}`` for n cells, zero-padded to a common width (at least 3 digits)."""
    width = max(3, len(str(n)))
    return list(map((prefix.replace("%", "%%") + f"%0{width}d").__mod__, range(1, n + 1)))


def quality_figures(
    area_m2: npt.ArrayLike, perimeter_m: npt.ArrayLike, parts: npt.ArrayLike, region_area_m2: float
) -> dict[str, Any]:
    """Figures a planner judges a grid by: sizes, their spread, compactness, split cells, coverage."""
    area_m2 = np.asarray(area_m2, float)
    mean = float(area_m2.mean()) if len(area_m2) else 0.0
    pp = 4.0 * math.pi * area_m2 / np.maximum(np.asarray(perimeter_m, float) ** 2, 1e-300)
    return {
        "cells": len(area_m2),
        "area_m2": float(region_area_m2),
        "cell_area_min_m2": float(area_m2.min()) if len(area_m2) else 0.0,
        "cell_area_mean_m2": mean,
        "cell_area_max_m2": float(area_m2.max()) if len(area_m2) else 0.0,
        "cell_area_cv": float(area_m2.std() / mean) if mean else 0.0,
        "polsby_popper_mean": float(pp.mean()) if len(pp) else 0.0,
        "multipart_cells": int((np.asarray(parts) > 1).sum()),
        "coverage_error": abs(float(area_m2.sum()) - region_area_m2) / region_area_m2,
    }


def quality_of(cells: gpd.GeoDataFrame, area: BaseGeometry) -> dict[str, Any]:
    """Quality figures for any cells (WGS84) of an area, measured in the area's metric CRS (with
    the spread of their ``weight`` when they carry one)."""
    crs = metric_crs(area)
    metric = to_metric(np.asarray(cells.to_crs(WGS84).geometry.values), crs)
    region_area = float(to_metric(area, crs).area)
    figures = quality_figures(
        shapely.area(metric),
        shapely.length(metric),
        shapely.get_num_geometries(metric),
        region_area,
    )
    if "weight" in cells and cells["weight"].notna().all() and len(cells):
        codes = (
            [str(c) for c in cells["code"]] if "code" in cells else [str(i) for i in cells.index]
        )
        figures.update(weight_figures(cells["weight"].to_numpy(dtype=float), codes))
    return figures


def format_quality(q: dict[str, Any]) -> str:
    """The quality figures as a few lines for a terminal."""
    lines = [
        f"cells:               {q['cells']}",
        f"area:                {q['area_m2'] / 1e6:.4f} km²",
        f"cell area:           min {q['cell_area_min_m2']:.1f} m², mean {q['cell_area_mean_m2']:.1f} m², "
        f"max {q['cell_area_max_m2']:.1f} m²",
        f"cell area CV:        {q['cell_area_cv']:.4f}",
        f"mean Polsby-Popper:  {q['polsby_popper_mean']:.3f}",
        f"multi-part cells:    {q['multipart_cells']}",
        f"coverage error:      {q['coverage_error']:.2e}",
    ]
    if "blocks" in q:
        lines.append(f"blocks from lines:   {q['blocks']}")
        lines.append(
            f"lines not dividing:  {q['lines_not_dividing_m']:.0f} m (dead ends; cells may straddle them)"
        )
    if q.get("ends_joined"):
        lines.append(
            f"line ends joined:    {q['ends_joined']} (to a line within the snapping distance, "
            f"{q['ends_joined_m']:.0f} m in all)"
        )
    if q.get("crumbs_joined"):
        named = [c for c in q["lines_crossed"] if c["line"] is not None]
        shown = ", ".join(f"{c['line']} {c['m']:.0f} m" for c in named[:8])
        more = len(named) - 8
        unnamed = sum(c["m"] for c in q["lines_crossed"] if c["line"] is None)
        lines.append(
            f"crumbs joined:       {q['crumbs_joined']} blocks too small for a cell, across "
            f"{q['lines_crossed_m']:.0f} m of lines"
        )
        if shown:
            lines.append(f"lines crossed:       {shown}{f' and {more} more' if more > 0 else ''}")
        if unnamed:
            lines.append(f"unnamed lines:       {unnamed:.0f} m crossed")
    if "weight_cv" in q:
        lines.append(
            f"weight per cell:     min {q['weight_min']:g}, mean {q['weight_mean']:g}, "
            f"max {q['weight_max']:g} (total {q['weight_total']:g})"
        )
        lines.append(f"weight CV:           {q['weight_cv']:.4f}")
        worst = ", ".join(f"{c['code']} {c['weight']:g}" for c in q["weight_worst"])
        lines.append(f"furthest off:        {worst}")
    return "\n".join(lines)


# --- inputs ---------------------------------------------------------------------------------


def _as_wgs84_geometry(value: Any, *, what: str) -> BaseGeometry:
    if isinstance(value, gpd.GeoDataFrame):
        value = value.geometry
    if isinstance(value, gpd.GeoSeries):
        if value.crs is None:
            raise InvalidInput(f"the {what} GeoSeries has no CRS; set one (e.g. EPSG:4326) first")
        value = shapely.union_all(np.asarray(value.to_crs(WGS84).values))
    if not isinstance(value, BaseGeometry):
        raise InvalidInput(
            f"the {what} must be a shapely geometry or a GeoSeries/GeoDataFrame, not {type(value).__name__}"
        )
    if value.is_empty:
        raise InvalidInput(f"the {what} is empty")
    xmin, ymin, xmax, ymax = value.bounds
    if xmin < -180 or xmax > 180 or ymin < -90 or ymax > 90:
        raise InvalidInput(f"the {what} is not in WGS84 lon/lat: its bounds are {value.bounds}")
    if what == "area":
        polys = shapely.get_parts(value)
        if not np.all(np.isin(shapely.get_type_id(polys), [3])):
            raise InvalidInput("the area must be a Polygon or MultiPolygon")
        if not value.is_valid:
            raise InvalidInput(f"the area is not a valid polygon: {shapely.is_valid_reason(value)}")
    return value


def _check_options(
    cell_size: float | None, count: int | None, shape: str, min_fraction: float
) -> None:
    if (cell_size is None) == (count is None):
        raise InvalidInput("give exactly one of a cell size (metres) or a cell count")
    if shape not in SHAPES:
        raise InvalidInput(f"unknown cell shape {shape!r}: use one of {', '.join(SHAPES)}")
    if cell_size is not None and not (
        isinstance(cell_size, int | float) and math.isfinite(cell_size) and cell_size >= 1.0
    ):
        raise InvalidInput(f"cell size must be a number of metres, at least 1; got {cell_size!r}")
    if count is not None:
        if isinstance(count, bool) or not isinstance(count, int | np.integer) or count < 1:
            raise InvalidInput(f"cell count must be a whole number, at least 1; got {count!r}")
        if shape != "square":
            raise InvalidInput(
                "hexagons come with a cell size; a cell count gives equal-area cells of free shape"
            )
    if not 0.0 <= min_fraction < 1.0:
        raise InvalidInput(f"min_fraction must be at least 0 and below 1; got {min_fraction!r}")


def _check_budget(
    region_area: float,
    cell_size: float | None,
    count: int | None,
    shape: str,
    max_cells: int | None,
) -> None:
    if cell_size is not None:
        estimate = region_area / (cell_size * cell_size)
        if max_cells is not None and estimate > max_cells:
            raise LimitExceeded(
                f"a cell size of {cell_size:g} m gives about {estimate:,.0f} cells, over the limit of "
                f"{max_cells:,}; choose a larger cell size or raise GRIDMGR_MAX_CELLS"
            )
    elif count is not None:
        if max_cells is not None and count > max_cells:
            raise LimitExceeded(
                f"{count:,} cells is over the limit of {max_cells:,}; raise GRIDMGR_MAX_CELLS"
            )
        if region_area / count < MIN_CELL_M2:
            raise InvalidInput(
                f"{count:,} cells would each be under {MIN_CELL_M2:g} m² (the area is {region_area:,.1f} m²); ask for fewer"
            )


def _repaired(geoms: GeoArray) -> GeoArray:
    """Geometries with the rare one that reprojection bent out of validity repaired in place."""
    bad = np.flatnonzero(~shapely.is_valid(geoms))
    for k in bad:  # rare: a near-degenerate vertex that the projection tipped over
        geoms[k] = made_valid(geoms[k])
    return geoms


# --- split along lines ----------------------------------------------------------------------


def _split_lines(split_by: Any, crs: CRS) -> tuple[GeoArray, list[str | None] | None]:
    """The lines to cut along, one per part in the metric CRS, each with its feature's name when
    they come as a GeoDataFrame with a ``name`` column (None for a line without one)."""
    if not (isinstance(split_by, gpd.GeoDataFrame) and "name" in split_by.columns):
        parts = shapely.get_parts(shapely.get_parts(_as_wgs84_geometry(split_by, what="lines")))
        return to_metric(without_tiny_coordinates(parts), crs), None
    if split_by.crs is None:
        raise InvalidInput("the lines GeoDataFrame has no CRS; set one (e.g. EPSG:4326) first")
    features = np.asarray(split_by.to_crs(WGS84).geometry.values)
    parts, owner = shapely.get_parts(features, return_index=True)
    parts, inner = shapely.get_parts(parts, return_index=True)  # collections of multi-parts
    _as_wgs84_geometry(shapely.GeometryCollection(list(parts)), what="lines")  # bounds, not empty
    given = [v if isinstance(v, str) and v.strip() else None for v in split_by["name"]]
    return to_metric(without_tiny_coordinates(parts), crs), [given[k] for k in owner[inner]]


def _cell_area(cell_size: float | None, shape: str) -> float:
    """The area of one whole cell of the lattice (squares, or hexagons of the same area)."""
    assert cell_size is not None  # _check_options: exactly one of cell_size and count is given
    return Lattice(shape, float(cell_size)).full_area


def lines_figures(cut: Blocks) -> dict[str, Any]:
    """The figures of cutting along lines: blocks, dead ends, ends joined, crumbs and lines crossed."""
    crossed = sorted(cut.crossed_m.items(), key=lambda kv: (-kv[1], kv[0] or ""))
    return {
        "blocks": len(cut.blocks),
        "lines_not_dividing_m": round(cut.idle_m, 1),
        "ends_joined": cut.ends_joined,
        "ends_joined_m": round(cut.joined_m, 1),
        "crumbs_joined": cut.crumbs_joined,
        "lines_crossed_m": round(sum(cut.crossed_m.values()), 1),
        "lines_crossed": [{"line": name, "m": round(m, 1)} for name, m in crossed],
    }


def _allocate(block_areas: Floats, count: int) -> Ints:
    """Cells per block in proportion to area (largest remainder), at least one each."""
    n_blocks = len(block_areas)
    if count < n_blocks:
        raise InvalidInput(
            f"the lines cut the area into {n_blocks} blocks, so it needs at least {n_blocks} cells; "
            f"ask for at least {n_blocks} or split by fewer lines"
        )
    share = block_areas / block_areas.sum() * count
    base: Ints = np.maximum(np.floor(share).astype(np.int64), 1)
    while base.sum() > count:  # minimums pushed the sum over: take from blocks that keep one
        over = np.where(base > 1, base - share, -np.inf)
        base[np.argmax(over)] -= 1
    rest = count - int(base.sum())
    if rest:
        base[np.argsort(-(share - base))[:rest]] += 1
    return base


def _lattice_order(i: Ints, j: Ints, tiebreak: Floats, whole: Bools) -> Ints:
    """Order lattice cells by row (north first), then west to east; parts of one cell by their west edge."""
    row = (j.max() - j).astype(np.int64)
    col = (i - i.min()).astype(np.int64)
    key = row * (int(col.max()) + 1) + col
    if whole.all():
        return np.argsort(key, kind="stable")
    return np.lexsort((tiebreak, key))


def _row_order(geoms: GeoArray, row_height: float) -> Ints:
    """Order cells west to east within rows of the given height, rows north to south."""
    pts = shapely.point_on_surface(geoms)
    x, y = shapely.get_x(pts), shapely.get_y(pts)
    c = shapely.centroid(geoms)
    cx, cy = shapely.get_x(c), shapely.get_y(c)
    # the centroid places a cell; a point on its surface stands in where the centroid falls outside
    inside = shapely.contains_xy(geoms, cx, cy)
    x = np.where(inside, cx, x)
    y = np.where(inside, cy, y)
    row = np.floor((y.max() - y) / row_height).astype(np.int64)
    return np.lexsort((x, row))
