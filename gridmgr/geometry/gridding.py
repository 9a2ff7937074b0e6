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
from gridmgr.geometry.lattice import Lattice
from gridmgr.geometry.lattice_cells import lattice_cells
from gridmgr.geometry.noding import add_shared_vertices
from gridmgr.geometry.projection import WGS84, metric_crs, to_metric, to_wgs84
from gridmgr.geometry.shapes import FLAT_DEGREES, check_cells, has_area, made_valid

SHAPES = ("square", "hex")
DEFAULT_MAX_CELLS = 2_000_000
MIN_CELL_M2 = 1.0
LINE_SNAP_M = 0.05  # lines closer than this (5 cm) are one line when splitting along them


def cells_from_area(
    area: BaseGeometry | gpd.GeoSeries | gpd.GeoDataFrame,
    *,
    cell_size: float | None = None,
    count: int | None = None,
    shape: str = "square",
    split_by: BaseGeometry | gpd.GeoSeries | gpd.GeoDataFrame | None = None,
    min_fraction: float = 0.35,
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
        blocks first, blocks are then gridded on their own, and no cell crosses a line but along
        a crumb: a block too small to be a cell (under MIN_CELL_M2, where a line grazes a corner
        or crosses another line near the boundary) or too thin to be ground (nowhere wider than
        about twice LINE_SNAP_M: a line drawn along the boundary or another line) joins the
        neighbouring block it shares most edge with.
    min_fraction
        Clipped cells smaller than this share of a full cell merge into the neighbour they
        share the longest edge with.
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
    region_wgs = _as_wgs84_geometry(area, what="area")
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

    blocks, dangling_m = _blocks(region, split_by, crs)
    if cell_size is not None:
        lattice = Lattice(shape, float(cell_size))
        got = lattice_cells(blocks, lattice, min_fraction=min_fraction, crs=crs)
        order = _lattice_order(got.i, got.j, got.tiebreak, got.whole)
        geometry = got.geometry[order]
        area_m2 = got.area_m2[order]
        clipped = ~got.whole[order]
        geometry[clipped] = _repaired(geometry[clipped])
        perimeter = got.perimeter_m[order]
        whole = ~clipped
    else:
        assert count is not None  # _check_options: exactly one of cell_size and count is given
        counts = _allocate(np.array([b.area for b in blocks]), int(count))
        metric_geoms = np.array(
            [c for b, k in zip(blocks, counts, strict=True) for c in equal_area_cells(b, int(k))],
            dtype=object,
        )
        order = _row_order(metric_geoms, math.sqrt(region_area / count))
        metric_geoms = add_shared_vertices(metric_geoms[order], tolerance=1e-6)
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
    if dangling_m is not None:
        cells.attrs["quality"]["blocks"] = len(blocks)
        cells.attrs["quality"]["lines_not_dividing_m"] = round(dangling_m, 1)
    return cells


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
    """Quality figures for any cells (WGS84) of an area, measured in the area's metric CRS."""
    crs = metric_crs(area)
    metric = to_metric(np.asarray(cells.to_crs(WGS84).geometry.values), crs)
    region_area = float(to_metric(area, crs).area)
    return quality_figures(
        shapely.area(metric),
        shapely.length(metric),
        shapely.get_num_geometries(metric),
        region_area,
    )


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


def _blocks(region: BaseGeometry, split_by: Any, crs: CRS) -> tuple[GeoArray, float | None]:
    """The region cut along the lines into blocks, and the length of line parts that cut nothing."""
    if split_by is None:
        return np.array([region], dtype=object), None
    lines_wgs = _as_wgs84_geometry(split_by, what="lines")
    lines = to_metric(shapely.get_parts(shapely.get_parts(lines_wgs)), crs)
    is_poly = np.isin(shapely.get_type_id(lines), [3, 6])
    lines = np.where(is_poly, shapely.boundary(lines), lines)
    # clip to a margin around the area, not to the area itself: a line clipped exactly at the
    # boundary may end a hair short of it and then divide nothing
    xmin, ymin, xmax, ymax = region.bounds
    margin = 0.01 * max(xmax - xmin, ymax - ymin) + 1.0
    near = shapely.clip_by_rect(lines, xmin - margin, ymin - margin, xmax + margin, ymax + margin)
    # lines drawn twice a hair apart would leave sliver blocks of no area: snap them together
    # (noded first, so lines that met still meet after snapping)
    snapped = shapely.set_precision(shapely.union_all(near), LINE_SNAP_M)
    near = shapely.get_parts(shapely.snap(snapped, shapely.boundary(region), LINE_SNAP_M))
    noded = shapely.union_all(np.concatenate([[shapely.boundary(region)], near]))
    polygons, cuts, dangles, _invalid = shapely.polygonize_full([noded])
    faces = shapely.get_parts(polygons)
    shapely.prepare(region)
    keep = shapely.contains(region, shapely.point_on_surface(faces))
    idle = shapely.intersection(
        shapely.union_all([dangles, cuts]), region
    )  # lines dividing nothing
    faces = shapely.orient_polygons(_merge_crumbs(faces[keep]))
    if len(faces) == 0:
        return np.array([region], dtype=object), float(shapely.length(idle))
    return faces, float(shapely.length(idle))


def _merge_crumbs(faces: GeoArray) -> GeoArray:
    """Crumbs joined to the neighbour they share most edge with: blocks too small to be a cell (under
    MIN_CELL_M2, where a line grazes a corner of the boundary or crosses another line near it) or
    too thin to be ground (nowhere wider than about twice LINE_SNAP_M, however long: a line drawn
    along the boundary or along another line, a few millimetres off it after snapping)."""
    areas = shapely.area(faces)
    crumb = (areas < MIN_CELL_M2) | ~has_area(faces, 2.0 * LINE_SNAP_M)
    crumbs = np.flatnonzero(crumb)
    if len(crumbs) == 0 or len(crumbs) == len(faces):
        return faces
    faces = faces.copy()
    tree = shapely.STRtree(faces)
    target = np.arange(len(faces))
    for k in crumbs:  # a few dozen at most, at road junctions
        near = tree.query(faces[k], predicate="intersects")
        near = near[(near != k) & ~crumb[near]]
        if len(near) == 0:
            continue
        shared = shapely.length(
            shapely.intersection(shapely.boundary(faces[k]), shapely.boundary(faces[near]))
        )
        target[k] = near[int(np.argmax(shared))]
    moved: Bools = target != np.arange(len(faces))
    for t in np.unique(target[moved]):
        faces[t] = shapely.union_all(np.concatenate([[faces[t]], faces[moved & (target == t)]]))
    return faces[~moved]


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
