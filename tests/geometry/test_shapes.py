"""Shape helpers: what has an area, and the last check of cells before they are stored or written."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from gridmgr.errors import InvalidInput
from gridmgr.geometry.shapes import check_cells, has_area

from conftest import ROOT

FLAT = shapely.from_geojson((ROOT / "tests" / "data" / "zero_area_by_rounding.geojson").read_text())
DEGREES = 1e-7  # the grid cells are written on


def test_has_area_tells_an_area_from_corners_on_one_line():
    # GEOS gives the flat ring an area a hair above zero (its decimals are not quite on one line)
    assert FLAT.is_valid and 0 < FLAT.area < 1e-20
    geoms = np.array(
        [
            FLAT,
            shapely.box(120.0, 30.0, 120.01, 30.01),  # a park
            shapely.box(120.0, 30.0, 120.0000003, 30.0000003),  # 3 cm across: small, but an area
            shapely.box(120.0, 30.0, 120.01, 30.00000001),  # 1 mm wide, a kilometre long: a line
            shapely.Polygon(),
            shapely.Polygon([(0, 0), (1, 0), (2, 0), (0, 0)]),  # exactly on one line
        ],
        dtype=object,
    )
    assert has_area(geoms, DEGREES).tolist() == [False, True, True, False, False, False]


def test_has_area_keeps_a_thin_stroke_that_has_a_wide_part():
    """A polygon is judged by its widest part, not its mean width: a 1 m square with a long spike."""
    square = shapely.box(0, 0, 1, 1)
    spike = shapely.Polygon([(1, 0.5), (2000, 0.5), (1, 0.5000001)])
    assert has_area(np.array([shapely.union_all([square, spike])], dtype=object), 0.01)[0]
    assert not has_area(np.array([spike], dtype=object), 0.01)[0]


def test_has_area_of_a_strip_with_a_corner_a_hair_off_zero_raises_no_warning():
    """Found by the split-by property test (issue 18): a 1 m strip between a road and its twin
    has a corner at y = 3.9e-249 (a star's sine); GEOS raised a floating-point "divide by zero"
    flag while snapping it to the grid (numpy turned that into a warning), though the answer is
    right. Warnings are errors in the tests."""
    strip = shapely.from_wkt(
        "POLYGON ((166321.46744333938 0.9942731251985419, 166321.7356528644 3.868466101841115e-249, "
        "166321.7356528644 0, 165721.1497629847 0, 165721.1497629847 3.6529182369186593e-14, "
        "165721.4179751544 0.994278055730401, 166321.46744333938 0.9942731251985419))"
    )
    assert has_area(np.array([strip], dtype=object), 0.1).tolist() == [True]
    assert has_area(np.array([strip], dtype=object), 2.0).tolist() == [False]


def test_check_cells_passes_good_cells_and_names_the_first_bad_one():
    good = shapely.box(0, 0, 10, 10)
    stray = shapely.Polygon(good.exterior, [shapely.box(20, 20, 21, 21).exterior])  # hole outside
    check_cells(np.array([good, shapely.MultiPolygon([good])], dtype=object), ["A", "B"])
    cases = [
        (shapely.Polygon(), "cell B came out empty"),
        (None, "cell B came out not a polygon"),
        (shapely.LineString([(0, 0), (1, 1)]), "cell B came out not a polygon"),
        (shapely.Polygon([(0, 0), (1, 0), (2, 0), (0, 0)]), "cell B came out without area"),
        (stray, "cell B came out not valid \\(Hole lies outside shell"),
    ]
    for bad, words in cases:
        with pytest.raises(InvalidInput, match=words) as info:
            check_cells(np.array([good, bad, bad], dtype=object), ["A", "B", "C"], where="x.gpkg: ")
        assert str(info.value).startswith("x.gpkg: cell B") and "nothing was written" in str(
            info.value
        )
    # cells known to be valid are not checked for validity again, but for everything else
    check_cells(np.array([stray], dtype=object), ["A"], known_valid=np.array([True]))
    with pytest.raises(InvalidInput, match="empty"):
        check_cells(
            np.array([shapely.Polygon()], dtype=object), ["A"], known_valid=np.ones(1, bool)
        )
    check_cells(np.zeros(0, object), [])
