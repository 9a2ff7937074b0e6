"""Joining loose line ends before polygonising: junctions a metre short divide, the boundary stays put."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from gridmgr.geometry.blocks import LINE_SNAP_M, blocks_from_lines
from gridmgr.geometry.projection import metric_crs, to_metric
from gridmgr.geometry.snapping import joined_network, reflex_vertices

SQUARE = shapely.box(0, 0, 100, 100)


def faces(network) -> np.ndarray:
    found = shapely.get_parts(shapely.polygonize([network]))
    return found[shapely.contains(SQUARE, shapely.point_on_surface(found))]


@pytest.mark.parametrize("gap", [0.6, 0.012])  # a metre short, and a hair off the line's middle
def test_an_end_short_of_a_line_is_joined_and_divides(gap):
    """A side road stops `gap` short of a slanting main road (the hair: what rounding to the 5 cm
    grid leaves of an end drawn onto a line's middle, no vertex there): joined, it divides."""
    main = shapely.LineString([(50, -5), (51.3, 105)])
    x = 50 + 1.3 * 35 / 110  # where the main road crosses y = 30
    side = shapely.LineString([(-5, 30), (x - gap, 30)])
    got = joined_network(np.array([main, side]), SQUARE.boundary, snap=1.0, grid=LINE_SNAP_M)
    assert got.ends_joined == 1 and 0 < got.joined_m <= gap + 2 * LINE_SNAP_M
    assert len(faces(got.network)) == 3
    loose = joined_network(np.array([main, side]), SQUARE.boundary, snap=0.0, grid=LINE_SNAP_M)
    assert loose.ends_joined == 0 and len(faces(loose.network)) == 2


def test_an_end_further_than_the_snapping_distance_stays_loose():
    main = shapely.LineString([(50, -5), (50, 105)])
    side = shapely.LineString([(-5, 30), (48.5, 30)])
    got = joined_network(np.array([main, side]), SQUARE.boundary, snap=1.0, grid=LINE_SNAP_M)
    assert got.ends_joined == 0 and len(faces(got.network)) == 2


def test_joining_never_moves_the_areas_boundary():
    """Found by a random search: two parallel roads a metre apart, one through a corner of a
    pentagon; joining their ends once rounded the whole network, boundary included, to the 5 cm
    grid, and the blocks then overlapped by 20 m² (count mode then found no cut)."""
    area = shapely.from_wkt(
        "POLYGON ((0.0026949335249731 0, 0.0008327802579275 0.0025630340899079, "
        "-0.002180247020414 0.0015840421818877, -0.002180247020414 -0.0015840421818877, "
        "0.0008327802579275 -0.0025630340899079, 0.0026949335249731 0))"
    )
    lines = shapely.from_wkt(
        "MULTILINESTRING ((-0.012180247020414 0, 0.0126949335249731 0), "
        "(-0.0121712639086641 8.98311174991017e-6, 0.012703916636723 8.98311174991017e-6))"
    )
    crs = metric_crs(area)
    region = to_metric(area, crs)
    got = blocks_from_lines(region, shapely.get_parts(to_metric(lines, crs)), snap=1.0)
    assert got.ends_joined > 0
    assert shapely.area(got.blocks).sum() == pytest.approx(region.area, rel=1e-9)
    union = shapely.union_all(got.blocks)
    assert shapely.symmetric_difference(union, region).area < 1e-6 * region.area


# a square with a diamond hole whose right tip is at (60, 50); a road runs north-south past it
HOLED = shapely.Polygon(
    [(0, 0), (100, 0), (100, 100), (0, 100)], [[(40, 50), (50, 40), (60, 50), (50, 60)]]
)


@pytest.mark.parametrize("gap", [0.098, 0.6])  # the 9.8 cm of issue 18, and most of a metre
def test_a_road_passing_a_holes_tip_within_the_snapping_distance_is_joined_to_it(gap):
    """A road runs north-south `gap` east of the hole's east tip, another west from the hole's west
    tip: joined to the east tip, the road cuts the ground west of it into a north and a south block
    (snap 0: one block, joined round the hole through the neck beside the tip)."""
    road = shapely.LineString([(60 + gap, -5), (60 + gap, 105)])
    west = shapely.LineString([(-5, 50), (45, 50)])
    lines = np.array([road, west])
    got = joined_network(lines, HOLED.boundary, snap=1.0, grid=LINE_SNAP_M, region=HOLED)
    assert got.vertices_joined == 1 and got.ends_joined == 0
    assert 0 < got.joined_m <= gap + 2 * LINE_SNAP_M
    found = faces_of(got.network, HOLED)
    assert shapely.area(found).sum() == pytest.approx(HOLED.area, rel=1e-9)
    left = found[shapely.get_x(shapely.centroid(found)) < 60 + gap]
    assert len(left) == 2
    box = shapely.bounds(left)
    assert (box[:, 2] <= 60 + gap + LINE_SNAP_M).all()  # none past the road (on its 5 cm grid)
    assert ((box[:, 1] >= 50 - 1e-6) | (box[:, 3] <= 50 + 1e-6)).all()  # each north or south
    loose = joined_network(lines, HOLED.boundary, snap=0.0, grid=LINE_SNAP_M, region=HOLED)
    assert loose.vertices_joined == 0 and len(faces_of(loose.network, HOLED)) == 2


def test_only_reflex_vertices_within_the_snapping_distance_are_joined():
    """A road 1.5 m past the tip stays loose; a road 55 cm inside the square's (convex) corner cuts
    the corner off and is joined to nothing; the hole's other tips are reflex, the square's are not."""
    far = shapely.LineString([(61.5, -5), (61.5, 105)])
    got = joined_network(np.array([far]), HOLED.boundary, snap=1.0, grid=LINE_SNAP_M, region=HOLED)
    assert got.vertices_joined == 0
    corner = shapely.LineString([(-5, 5.778), (5.778, -5)])  # 55 cm from (0, 0), inside
    got = joined_network(
        np.array([corner]), HOLED.boundary, snap=1.0, grid=LINE_SNAP_M, region=HOLED
    )
    assert got.vertices_joined == 0
    reflex = {tuple(xy) for xy in reflex_vertices(HOLED).tolist()}
    assert reflex == {(40.0, 50.0), (50.0, 40.0), (60.0, 50.0), (50.0, 60.0)}


def faces_of(network, region) -> np.ndarray:
    found = shapely.get_parts(shapely.polygonize([network]))
    return found[shapely.contains(region, shapely.point_on_surface(found))]
