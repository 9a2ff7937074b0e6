"""Areas inside areas (pure geometry): children clipped to their parent, and which child holds a cell."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from gridmgr.geometry.arrays import GeoArray
from gridmgr.geometry.projection import metric_crs, to_metric
from gridmgr.geometry.shapes import FLAT_DEGREES, has_area, polygonal

# a child may stick out of its parent by a little (boundaries drawn at different scales): a child with
# less than this share of its land inside the parent is "mostly outside", an error, not a clip
MIN_INSIDE_SHARE = 0.5


def clip_to_parent(
    parent: BaseGeometry, children: GeoArray
) -> tuple[GeoArray, npt.NDArray[np.float64]]:
    """Each child (WGS84) clipped to the parent, and the share of its own area that lay inside it
    (0 for a child that only touches the parent or lies outside)."""
    children = np.asarray(children, dtype=object)
    clipped = shapely.intersection(children, parent)
    clipped = np.array([polygonal(g) for g in clipped], dtype=object)
    crs = metric_crs(parent)
    whole = shapely.area(to_metric(children, crs))
    inside = shapely.area(to_metric(clipped, crs))
    share = np.where(whole > 0, inside / np.where(whole > 0, whole, 1.0), 0.0)
    share[~has_area(clipped, FLAT_DEGREES)] = 0.0
    return clipped, np.asarray(share, dtype=np.float64)


def main_holder(cells_m: GeoArray, holders_m: GeoArray) -> npt.NDArray[np.int64]:
    """For each cell (metric), the index of the holder (metric) covering most of it; -1 where none
    overlaps it by any area."""
    cells_m = np.asarray(cells_m, dtype=object)
    holders_m = np.asarray(holders_m, dtype=object)
    best = np.full(len(cells_m), -1, dtype=np.int64)
    if not len(cells_m) or not len(holders_m):
        return best
    cell_idx, holder_idx = shapely.STRtree(holders_m).query(cells_m, predicate="intersects")
    if not len(cell_idx):
        return best
    shared = shapely.area(shapely.intersection(cells_m[cell_idx], holders_m[holder_idx]))
    keep = shared > 0
    cell_idx, holder_idx, shared = cell_idx[keep], holder_idx[keep], shared[keep]
    if not len(cell_idx):  # holders only touch the cells (an edge or a corner): none holds any
        return best
    # sorted by cell, then by overlap: each cell's last pair is its largest overlap
    order = np.lexsort((shared, cell_idx))
    last = np.r_[cell_idx[order][1:] != cell_idx[order][:-1], True]
    best[cell_idx[order][last]] = holder_idx[order][last]
    return best
