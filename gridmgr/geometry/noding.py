"""Making neighbouring cells share every vertex on their common edges."""

from __future__ import annotations

import numpy as np
import shapely

from gridmgr.geometry.arrays import GeoArray

WELD_M = 1e-8  # metric vertices closer than this are one (about 100 ulps at 10^6 m)


def add_shared_vertices(geoms: GeoArray, *, tolerance: float) -> GeoArray:
    """Insert into each polygon the vertices its neighbours have on its edges (T-junctions).

    Bisection leaves a vertex of one cell in the middle of its neighbour's edge; rounding would
    move that vertex off the edge and open a hair-thin gap or overlap, and so would projecting
    it. With the vertex in both cells, both move it the same way. `tolerance` is in the
    geometries' units.
    """
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) < 2:
        return geoms
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left != right
    left, right = left[keep], right[keep]
    if len(left) == 0:
        return geoms
    # the vertices of all neighbours of each cell, as one MultiPoint per cell
    xy, owner = shapely.get_coordinates(geoms, return_index=True)
    counts = np.bincount(owner, minlength=len(geoms))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    order = np.argsort(left, kind="stable")
    left, right = left[order], right[order]
    n_pts = counts[right]
    pick = np.repeat(starts[right], n_pts) + (
        np.arange(n_pts.sum()) - np.repeat(np.cumsum(n_pts) - n_pts, n_pts)
    )
    pts_owner = np.repeat(left, n_pts)
    targets = np.unique(left)
    points = shapely.multipoints(
        shapely.points(xy[pick]), indices=np.searchsorted(targets, pts_owner)
    )
    out = geoms.copy()
    out[targets] = shapely.snap(geoms[targets], points, tolerance)
    return out


def welded(geoms: GeoArray, *, tolerance: float) -> GeoArray:
    """The polygons with vertices a hair apart (within about `tolerance`, in any of them) made one.

    Noding lines that meet on a grid point computes the crossing a few ulps off it, so one block
    has both points and its neighbours one or the other; GEOS's cascaded union of such cells can
    drop a whole cell. Vertices on one point of a `tolerance` grid take the first one's exact
    coordinates in every geometry (a repeated point left in a ring is removed); a geometry that
    this would make invalid keeps its vertices.
    """
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) == 0:
        return geoms
    xy, owner = shapely.get_coordinates(geoms, return_index=True)
    if len(xy) == 0:
        return geoms
    key = np.round(xy / tolerance).astype(np.int64)
    _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    moved = xy[first][inverse.ravel()]
    changed = np.unique(owner[(moved != xy).any(axis=1)])
    if len(changed) == 0:
        return geoms
    out: GeoArray = shapely.set_coordinates(geoms.copy(), moved)
    out[changed] = shapely.remove_repeated_points(out[changed], 0.0)
    broken = changed[~shapely.is_valid(out[changed]) & shapely.is_valid(geoms[changed])]
    out[broken] = geoms[broken]
    return out
