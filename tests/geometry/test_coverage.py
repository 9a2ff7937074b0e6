"""Coverage geometry: gaps and overlaps found with the right m²."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmgr.geometry.coverage import (
    gaps_and_overlaps,
    ground_areas,
    ground_from,
    ground_of,
    pieces_to_geojson,
)
from gridmgr.geometry.projection import metric_crs, to_metric, to_wgs84

AREA_M = shapely.box(500_000, 4_000_000, 500_300, 4_000_200)  # 300 m x 200 m in UTM 50N


def test_gap_and_overlap_have_the_right_area():
    from pyproj import CRS

    crs = CRS.from_epsg(32650)
    cells_m = np.array(
        [
            shapely.box(500_000, 4_000_000, 500_100, 4_000_200),
            shapely.box(
                500_090, 4_000_000, 500_200, 4_000_200
            ),  # overlaps the first by 10 m x 200 m
            shapely.box(500_200, 4_000_000, 500_300, 4_000_150),  # leaves a 100 m x 50 m gap
        ],
        dtype=object,
    )
    area = to_wgs84(AREA_M, crs)
    assert metric_crs(area).to_epsg() == 32650
    ground = ground_of(area, to_wgs84(cells_m, crs))
    assert [round(a) for _, a in ground.gaps] == [5000]
    assert [round(a) for _, a in ground.overlaps] == [2000]
    assert ground.gaps[0][1] == pytest.approx(5000, abs=1)
    assert ground.overlaps[0][1] == pytest.approx(2000, abs=1)
    assert ground.coverage_ratio == pytest.approx(55_000 / 60_000, abs=1e-6)
    fc = pieces_to_geojson(ground.gaps)
    assert fc["features"][0]["properties"]["area_m2"] == pytest.approx(5000, abs=1)
    gap_m = to_metric(shapely.geometry.shape(fc["features"][0]["geometry"]), crs)
    np.testing.assert_allclose(gap_m.bounds, (500_200, 4_000_150, 500_300, 4_000_200), atol=1e-3)


def test_slivers_under_a_square_metre_are_ignored():
    from pyproj import CRS

    crs = CRS.from_epsg(32650)
    cells_m = np.array([shapely.box(500_000, 4_000_000, 500_300, 4_000_199.999)], dtype=object)
    ground = ground_of(to_wgs84(AREA_M, crs), to_wgs84(cells_m, crs))
    assert ground.gaps == [] and ground.overlaps == []


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-170.0, 170.0), st.floats(-75.0, 80.0), st.integers(0, 7)),
        min_size=1,
        max_size=6,
    )
)
def test_ground_areas_of_many_are_ground_of_each(leaves):
    """The roll-up's figures for many areas at once (`ground_areas`, areas in several UTM zones and
    one that is two pieces) equal `ground_of` for each: its m² and its covered m²."""
    areas, gaps, expected = [], [], []
    for x, y, missing in leaves:
        area = shapely.box(x, y, x + 0.01, y + 0.008)
        if missing % 3 == 0:  # two pieces
            area = shapely.union(area, shapely.box(x + 0.02, y, x + 0.025, y + 0.004))
        xs = np.linspace(x, x + 0.03, 7)
        cells = np.asarray([shapely.box(a, y, b, y + 0.008) for a, b in itertools.pairwise(xs)])
        inside = [0, 1, 4] if missing % 3 == 0 else [0, 1]  # columns over the area's ground
        cells = np.delete(cells, inside[missing % len(inside)])  # a column no cell covers
        gap, lap = gaps_and_overlaps(area, cells)
        ground = ground_from(area, gap, lap)
        areas.append(area)
        gaps.append(gap)
        expected.append((ground.area_m2, ground.covered_m2))
    area_m2, covered_m2 = ground_areas(np.asarray(areas), np.asarray(gaps))
    np.testing.assert_allclose(np.column_stack([area_m2, covered_m2]), expected, rtol=1e-9)
    assert (area_m2 - covered_m2 > 10_000).all()  # every leaf misses a column of cells
