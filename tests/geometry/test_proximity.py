"""A position against a cell: metres from it in the cell's metric CRS, in the cell within
max(accuracy, 30 m), and the GCJ-02 mix-up recognised."""

from __future__ import annotations

import math

import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmgr.geometry.datum import wgs84_to_gcj02
from gridmgr.geometry.projection import metric_crs, to_metric, to_wgs84
from gridmgr.geometry.proximity import MIN_RADIUS_M, proximity, radius_m

# a 200 m square cell in Qingdao, drawn in its UTM zone
CENTRE = shapely.Point(120.38, 36.06)
CRS = metric_crs(CENTRE)
METRIC_CENTRE = to_metric(CENTRE, CRS)
METRIC_CELL = shapely.box(
    METRIC_CENTRE.x - 100, METRIC_CENTRE.y - 100, METRIC_CENTRE.x + 100, METRIC_CENTRE.y + 100
)
CELL = to_wgs84(METRIC_CELL, CRS)


def _lonlat_at(x: float, y: float) -> tuple[float, float]:
    p = to_wgs84(shapely.Point(x, y), CRS)
    return p.x, p.y


@settings(max_examples=60, deadline=None)
@given(dx=st.floats(-100, 100), dy=st.floats(-100, 100), accuracy=st.none() | st.floats(0, 500))
def test_a_point_inside_is_at_zero_metres_and_in_the_cell(dx, dy, accuracy):
    lon, lat = _lonlat_at(METRIC_CENTRE.x + dx * 0.99, METRIC_CENTRE.y + dy * 0.99)
    got = proximity(CELL, lon, lat, accuracy)
    assert got.distance_m == pytest.approx(0.0, abs=0.01)
    assert got.in_cell and not got.gcj02_shifted


@settings(max_examples=60, deadline=None)
@given(
    beyond=st.floats(1, 3000),
    angle=st.floats(0, 2 * math.pi),
    accuracy=st.none() | st.floats(0, 500),
)
def test_a_point_outside_is_as_far_as_measured_and_in_the_cell_only_within_the_radius(
    beyond, angle, accuracy
):
    """A point `beyond` metres east/west/north/south of the cell's edge at some angle: the distance
    is that of the metric geometry (to a few cm) and in_cell holds exactly within the radius."""
    target = shapely.Point(
        METRIC_CENTRE.x + (100 + beyond) * math.cos(angle),
        METRIC_CENTRE.y + (100 + beyond) * math.sin(angle),
    )
    expected = float(shapely.distance(METRIC_CELL, target))
    lon, lat = _lonlat_at(target.x, target.y)
    got = proximity(CELL, lon, lat, accuracy)
    assert got.distance_m == pytest.approx(expected, abs=0.05)
    if abs(expected - radius_m(accuracy)) > 0.1:
        assert got.in_cell == (expected <= radius_m(accuracy))


def test_the_radius_is_the_accuracy_but_at_least_30_m():
    assert radius_m(None) == radius_m(0) == radius_m(12.5) == MIN_RADIUS_M
    assert radius_m(80.0) == 80.0


@pytest.mark.parametrize(("dx", "dy"), [(0, 0), (60, -40), (-90, 90)])
def test_a_position_reported_in_gcj02_is_recognised_as_shifted(dx, dy):
    """A phone app reporting AMap's GCJ-02 as if WGS84 lands hundreds of metres off in China; the
    position read back as GCJ-02 falls in the cell."""
    lon, lat = _lonlat_at(METRIC_CENTRE.x + dx, METRIC_CENTRE.y + dy)
    glon, glat = wgs84_to_gcj02(lon, lat)
    got = proximity(CELL, float(glon), float(glat), 10.0)
    assert got.distance_m > 200 and not got.in_cell
    assert got.gcj02_shifted


def test_a_position_simply_far_away_is_not_called_shifted():
    lon, lat = _lonlat_at(METRIC_CENTRE.x + 1500, METRIC_CENTRE.y)
    got = proximity(CELL, lon, lat, 10.0)
    assert not got.in_cell and not got.gcj02_shifted
    assert got.distance_m == pytest.approx(1400, abs=0.5)
