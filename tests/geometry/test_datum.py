"""GCJ-02/BD-09 conversions: the shift is real, the inverses are exact to well under a metre."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from gridmgr.errors import InvalidInput
from gridmgr.geometry.datum import (
    bd09_to_wgs84,
    from_wgs84,
    gcj02_to_wgs84,
    parse_datum,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

GEOD = Geod(ellps="WGS84")
china_lon = st.floats(75.0, 134.0)
china_lat = st.floats(18.0, 53.0)


def metres(lon1, lat1, lon2, lat2) -> np.ndarray:
    return np.abs(GEOD.inv(lon1, lat1, lon2, lat2)[2])


@pytest.mark.parametrize(
    ("forward", "inverse"),
    [(wgs84_to_gcj02, gcj02_to_wgs84), (wgs84_to_bd09, bd09_to_wgs84)],
    ids=["gcj02", "bd09"],
)
@settings(max_examples=200, deadline=None)
@given(lon=china_lon, lat=china_lat)
def test_round_trip_is_sub_millimetre(forward, inverse, lon, lat):
    back_lon, back_lat = inverse(*forward(lon, lat))
    assert metres(lon, lat, back_lon, back_lat) < 0.001


@pytest.mark.parametrize(
    ("city", "lon", "lat"), [("Harbin", 126.63, 45.75), ("Beijing", 116.397, 39.909)]
)
def test_the_shift_in_chinese_cities_is_hundreds_of_metres(city, lon, lat):
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    assert 100 < metres(lon, lat, g_lon, g_lat) < 700, city
    b_lon, b_lat = wgs84_to_bd09(lon, lat)
    assert 500 < metres(lon, lat, b_lon, b_lat) < 1500, city


def test_beijing_shift_direction_matches_the_published_formula():
    # the GCJ-02 shift at Tiananmen is about +0.0062° east and +0.0014° north
    g_lon, g_lat = wgs84_to_gcj02(116.397, 39.909)
    assert g_lon - 116.397 == pytest.approx(0.0062, abs=0.0004)
    assert g_lat - 39.909 == pytest.approx(0.0014, abs=0.0004)


def test_outside_china_nothing_moves():
    lon = np.array([-85.67, 2.35, 151.2])
    lat = np.array([42.96, 48.85, -33.9])
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    np.testing.assert_array_equal(g_lon, lon)
    np.testing.assert_array_equal(g_lat, lat)


def test_geometries_convert_keeping_their_structure():
    poly = shapely.Polygon(
        [(126.6, 45.7), (126.7, 45.7), (126.7, 45.8), (126.6, 45.8)],
        holes=[[(126.62, 45.72), (126.62, 45.74), (126.64, 45.74), (126.64, 45.72)]],
    )
    for datum in ("gcj02", "bd09"):
        shifted = from_wgs84(poly, datum)
        assert shifted.geom_type == "Polygon" and len(shifted.interiors) == 1 and shifted.is_valid
        back = to_wgs84(shifted, datum)
        assert shapely.hausdorff_distance(back, poly) < 1e-8
    arr = np.array([poly, poly.centroid], dtype=object)
    assert to_wgs84(arr, "gcj02").shape == (2,)
    assert to_wgs84(poly, "wgs84") is poly


@pytest.mark.parametrize(
    ("text", "name"),
    [("WGS84", "wgs84"), ("EPSG:4326", "wgs84"), ("GCJ-02", "gcj02"), ("Baidu", "bd09")],
)
def test_datum_names(text, name):
    assert parse_datum(text) == name


def test_unknown_datum_is_refused():
    with pytest.raises(InvalidInput, match="gcj02"):
        parse_datum("etrs89")
