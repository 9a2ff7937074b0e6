"""Invariant checks every gridding test applies: the cells tile the area, valid, coded, no overlaps."""

from __future__ import annotations

import numpy as np
import shapely

from gridmgr.projection import metric_crs, to_metric


def assert_tiles(
    cells, area: shapely.Geometry, *, tolerance: float = 1e-9, overlap_share: float = 1e-6
) -> np.ndarray:
    """Assert the DESIGN.md invariants in the area's metric CRS and return the metric cells."""
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
