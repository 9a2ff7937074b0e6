"""Invariant checks every gridding test applies: the cells tile the area, valid, coded, no overlaps."""

from __future__ import annotations

import numpy as np
import shapely

from gridmgr.geometry.gridding import LINE_SNAP_M, MIN_CELL_M2
from gridmgr.geometry.projection import metric_crs, to_metric
from gridmgr.geometry.shapes import has_area


def assert_tiles(
    cells, area: shapely.Geometry, *, tolerance: float = 1e-9, overlap_share: float = 1e-6
) -> np.ndarray:
    """Assert the gridding invariants (every mode: the union is the area, no overlaps, valid, coded) in the area's metric CRS and return the metric cells."""
    crs = metric_crs(area)
    wgs = np.asarray(cells.geometry.values)
    assert len(wgs) > 0
    # valid as delivered (WGS84); a near-degenerate vertex may tip over when projected again
    assert shapely.is_valid(wgs).all(), [shapely.is_valid_reason(g) for g in wgs if not g.is_valid][
        :3
    ]
    geoms = to_metric(wgs, crs)
    tipped = ~shapely.is_valid(geoms)
    geoms[tipped] = shapely.make_valid(geoms[tipped], method="structure", keep_collapsed=False)
    region = to_metric(area, crs)
    assert cells["code"].is_unique
    assert np.isin(shapely.get_type_id(wgs), [3, 6]).all(), (
        "every cell is a Polygon or MultiPolygon"
    )
    union = shapely.union_all(geoms)
    symdiff = shapely.area(shapely.symmetric_difference(union, region)) / region.area
    assert symdiff < tolerance, f"cells' union differs from the area by {symdiff:.3e} of it"
    # no overlaps: pairwise, every touching pair shares at most a hair of area
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms, predicate="intersects")
    pairs = a < b
    a, b = a[pairs], b[pairs]
    if len(a):
        overlap = shapely.area(shapely.intersection(geoms[a], geoms[b]))
        share = overlap / np.minimum(shapely.area(geoms[a]), shapely.area(geoms[b]))
        assert share.max() <= overlap_share, (
            f"cells {a[share.argmax()]} and {b[share.argmax()]} overlap by {share.max():.3e}"
        )
    # recorded areas are the cells' areas
    np.testing.assert_allclose(cells["area_m2"].to_numpy(), shapely.area(geoms), rtol=1e-6)
    return geoms


def crumbs_of(region: shapely.Geometry, lines: shapely.Geometry) -> shapely.Geometry:
    """The crumbs the lines cut off the area itself (metric): blocks too small to be a cell (under
    MIN_CELL_M2: a corner a line grazes, a triangle where lines cross near the boundary) or too thin
    to be ground (nowhere wider than about twice LINE_SNAP_M: a line drawn a hair off the boundary
    or another line). Gridding joins each to a neighbour across a line, so only there may a line
    run inside a cell."""
    noded = shapely.union_all([shapely.boundary(region), *shapely.get_parts(lines)])
    faces = shapely.get_parts(shapely.polygonize([noded]))
    faces = faces[shapely.contains(region, shapely.point_on_surface(faces))]
    small = (shapely.area(faces) < MIN_CELL_M2) | ~has_area(faces, 2.0 * LINE_SNAP_M)
    return shapely.union_all(faces[small])


def assert_no_cell_crosses(
    geoms: np.ndarray,
    lines: shapely.Geometry,
    region: shapely.Geometry,
    *,
    tolerance_m: float = 1e-6,
    inset_m: float = 1e-4,
) -> None:
    """No line divides a cell: where one runs inside a cell (shrunk by `inset_m` to ignore its own
    edges), all it cuts off lies in the crumbs the lines cut off the area itself (`crumbs_of`), never
    in a piece of ground a cell holds of its own, however small."""
    inner = shapely.buffer(geoms, -inset_m)
    inside = shapely.length(shapely.intersection(inner, lines))
    corridor = shapely.buffer(lines, inset_m)
    entered = np.flatnonzero(inside > tolerance_m)  # the few cells a line enters
    if len(entered) == 0:
        return
    crumbs = shapely.buffer(crumbs_of(region, lines), inset_m)  # lines are snapped by 5 cm
    for k in entered:
        pieces = shapely.get_parts(shapely.difference(geoms[k], corridor))
        pieces = pieces[np.argsort(shapely.area(pieces))][:-1]
        cut_off = float(shapely.area(shapely.union_all(pieces)))
        own = float(shapely.area(shapely.difference(shapely.union_all(pieces), crumbs)))
        assert own < 1e-3, (
            f"a line runs {inside[k]:.3f} m inside cell {k} and cuts off {cut_off:.2f} m² of it, "
            f"{own:.2f} m² of which is not a crumb the lines cut off the area"
        )
