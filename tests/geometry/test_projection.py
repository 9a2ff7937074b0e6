"""The metric CRS of an area (the UTM zone of its centre, polar stereographic near the poles) and the
round trip between it and WGS84."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from gridmgr.geometry.projection import (
    WGS84,
    metric_crs,
    metric_epsg,
    to_metric,
    to_wgs84,
    transform_xy,
)

GEOD = Geod(ellps="WGS84")
lon = st.floats(-179.0, 179.0)
lat = st.floats(-79.0, 83.0)


@settings(max_examples=100, deadline=None)
@given(lon=lon, lat=lat)
def test_the_zone_is_the_one_of_the_centre(lon, lat):
    crs = metric_crs(shapely.Point(lon, lat))
    assert metric_crs(shapely.box(lon - 0.01, lat - 0.01, lon + 0.01, lat + 0.01)) in (
        crs,
        metric_crs(shapely.Point(lon + 0.01, lat + 0.01)),
        metric_crs(shapely.Point(lon - 0.01, lat - 0.01)),
    )  # a box takes the zone of its centre
    zone = int((lon + 180) // 6) + 1
    assert crs.to_epsg() == (32600 if lat >= 0 else 32700) + zone
    assert crs.axis_info[0].unit_name == "metre"


@pytest.mark.parametrize(("lat", "epsg"), [(85.0, 32661), (89.9, 32661), (-81.0, 32761)])
def test_beyond_utm_polar_stereographic(lat, epsg):
    assert metric_crs(shapely.Point(20.0, lat)).to_epsg() == epsg


@settings(max_examples=60, deadline=None)
@given(lon=lon, lat=lat, side=st.floats(10.0, 2000.0))
def test_metric_areas_are_true_and_the_round_trip_is_exact(lon, lat, side):
    """A square of `side` metres drawn with a geodesic has that area in the metric CRS, and goes
    back to the same lon/lat to well under a millimetre."""
    crs = metric_crs(shapely.Point(lon, lat))
    x0, y0 = transform_xy([lon], [lat], WGS84, crs)
    square_m = shapely.box(x0[0], y0[0], x0[0] + side, y0[0] + side)
    square = to_wgs84(square_m, crs)
    assert isinstance(square, shapely.Polygon)  # one geometry stays one geometry
    geodesic_area = abs(GEOD.geometry_area_perimeter(square)[0])
    assert shapely.area(to_metric(square, crs)) == pytest.approx(side * side, rel=1e-9)
    assert geodesic_area == pytest.approx(side * side, rel=0.01)  # UTM's scale error stays under 1%
    back = to_metric(np.array([square], dtype=object), crs)
    assert isinstance(back, np.ndarray) and back.shape == (1,)  # an array stays an array
    assert shapely.equals_exact(back[0], square_m, tolerance=1e-6)


def test_transform_xy_takes_lists_and_arrays_alike():
    crs = metric_crs(shapely.Point(120.4, 36.1))
    x1, y1 = transform_xy([120.4, 120.4], [36.1, 36.2], WGS84, crs)
    x2, y2 = transform_xy(np.array([120.4, 120.4]), np.array([36.1, 36.2]), WGS84, crs)
    assert np.array_equal(x1, x2) and np.array_equal(y1, y2) and x1.dtype == np.float64
    # 0.1 degree of latitude is about 11.1 km along a meridian
    assert y1[1] - y1[0] == pytest.approx(11_100, rel=0.01)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.floats(-179.5, 179.5), st.floats(-89.5, 89.5)), min_size=1, max_size=8)
)
def test_metric_epsg_of_many_is_metric_crs_of_each(points):
    """The vectorised zone of an array of geometries (the roll-up's leaves at once) is the one
    `metric_crs` gives each, polar caps included."""
    geoms = np.asarray([shapely.box(x - 0.2, y - 0.2, x + 0.2, y + 0.2) for x, y in points])
    codes = metric_epsg(geoms)
    assert codes.tolist() == [metric_crs(g).to_epsg() for g in geoms]
