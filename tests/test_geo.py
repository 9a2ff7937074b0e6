"""Reading areas: every accepted form gives the same polygon; every refusal names file, feature and fault."""

from __future__ import annotations

import contextlib
import zipfile

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmgr.errors import GridmgrError, InvalidInput, LimitExceeded, NotFound
from gridmgr.geo import Limits, area_from_geojson, read_area, read_features, read_lines

from conftest import GEODATA, ROOT

DATA = ROOT / "tests" / "data"
SQUARE = shapely.box(120.0, 30.0, 120.01, 30.01)


@pytest.mark.parametrize(
    "name",
    [
        "square_feature_collection.geojson",
        "square_feature.geojson",
        "square_geometry.geojson",
        "square_bare_array.json",
        "square_3d.geojson",
        "square_clockwise.geojson",
        "square_as_closed_lines.geojson",
    ],
)
def test_every_accepted_form_gives_the_same_square(name):
    loaded = read_area(DATA / name)
    geom = loaded.geometry
    assert geom.is_valid and not geom.has_z
    assert shapely.equals(geom, SQUARE)
    assert shapely.is_ccw(geom.exterior)  # RFC 7946 winding, whatever the file had
    assert loaded.warnings == ()


def test_island_inside_a_hole_is_kept():
    geom = read_area(DATA / "island_in_hole.geojson").geometry
    assert geom.geom_type == "MultiPolygon"
    outer, island = sorted(shapely.get_parts(geom), key=lambda p: -p.area)
    assert len(outer.interiors) == 1
    assert island.within(shapely.Polygon(outer.interiors[0]))


def test_small_self_intersection_is_repaired_with_a_warning():
    loaded = read_area(DATA / "small_loop_self_intersection.geojson")
    assert loaded.geometry.is_valid
    assert loaded.geometry.area == pytest.approx(SQUARE.area, rel=1e-3)
    assert any("repaired" in w and "self-intersection" in w for w in loaded.warnings)


def test_gb18030_file_is_read_with_its_chinese_name():
    loaded = read_area(DATA / "gbk_names.geojson")
    assert loaded.name == "中山公园"


def test_skipped_features_are_counted():
    loaded = read_area(DATA / "polygon_and_points.geojson")
    assert shapely.equals(loaded.geometry, SQUARE)
    (warning,) = loaded.warnings
    assert "2 feature(s)" in warning and "Point" in warning and "no geometry" in warning


@pytest.mark.parametrize(
    ("name", "words"),
    [
        (
            "out_of_range.geojson",
            ["out_of_range.geojson", "feature 0", "position 0", "outside longitude", "EPSG:3857"],
        ),
        ("swapped_latlon.geojson", ["swapped_latlon.geojson", "outside longitude", "swapped"]),
        (
            "points_only.geojson",
            ["points_only.geojson", "no area", "Point", "MultiPoint", "feature 0", "feature 1"],
        ),
        (
            "open_line.geojson",
            ["open_line.geojson", "no area", "LineString not closed", "feature 0"],
        ),
        (
            "too_few_positions.geojson",
            ["too_few_positions.geojson", "ring 0", "3 positions", "at least 4"],
        ),
        ("empty_collection.geojson", ["empty_collection.geojson", "no features"]),
        ("antimeridian.geojson", ["antimeridian.geojson", "antimeridian", "180"]),
        ("null_coordinate.geojson", ["null_coordinate.geojson", "position 1", "not a number"]),
        ("not_json.geojson", ["not_json.geojson", "not GeoJSON", "starts with"]),
        ("truncated.geojson", ["truncated.geojson", "not valid JSON", "line 1, column"]),
        ("whitespace.geojson", ["whitespace.geojson", "only whitespace"]),
        ("empty.geojson", ["empty.geojson", "empty"]),
        ("binary.geojson", ["binary.geojson", "cannot read"]),
    ],
)
def test_refusals_name_file_feature_and_fault(name, words):
    with pytest.raises(InvalidInput) as info:
        read_area(DATA / name)
    message = str(info.value)
    for word in words:
        assert word in message, message
    assert "Traceback" not in message


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(NotFound, match="no such file"):
        read_area(tmp_path / "nope.geojson")
    with pytest.raises(InvalidInput, match="folder"):
        read_area(tmp_path)


def test_file_size_limit_is_checked_before_reading():
    with pytest.raises(LimitExceeded, match="GRIDMGR_MAX_FILE_MB"):
        read_area(DATA / "square_feature.geojson", limits=Limits(max_file_bytes=10))


def test_area_limit():
    with pytest.raises(LimitExceeded, match="GRIDMGR_MAX_AREA_KM2"):
        read_area(DATA / "square_feature.geojson", limits=Limits(max_area_km2=0.5))


def test_limits_from_environment():
    limits = Limits.from_env(
        {"GRIDMGR_MAX_FILE_MB": "2", "GRIDMGR_MAX_AREA_KM2": "7", "GRIDMGR_MAX_CELLS": "99"}
    )
    assert limits == Limits(max_file_bytes=2 * 2**20, max_area_km2=7.0, max_cells=99)
    with pytest.raises(InvalidInput, match="GRIDMGR_MAX_CELLS"):
        Limits.from_env({"GRIDMGR_MAX_CELLS": "lots"})


def test_choose_a_feature_by_name_or_index():
    park = read_area(GEODATA / "demo_park.geojson", feature=0)
    assert park.name == "Haibin Children's Park"
    assert len(park.geometry.interiors) == 1  # the pond, without the island of feature 1
    both = read_area(GEODATA / "demo_park.geojson", feature="Haibin Children's Park")
    assert both.geometry.geom_type == "MultiPolygon"
    with pytest.raises(NotFound, match="Haibin"):
        read_area(GEODATA / "demo_park.geojson", feature="Central Park")
    with pytest.raises(NotFound, match="features 0 to 1"):
        read_area(GEODATA / "demo_park.geojson", feature=5)


def test_geopackage_and_zipped_shapefile_round_trip(tmp_path):
    frame = gpd.GeoDataFrame({"name": ["Square"]}, geometry=[SQUARE], crs="EPSG:4326")
    frame.to_file(tmp_path / "area.gpkg", driver="GPKG")
    assert shapely.equals(read_area(tmp_path / "area.gpkg").geometry, SQUARE)
    frame.to_crs(32651).to_file(tmp_path / "area.shp")
    with zipfile.ZipFile(tmp_path / "area.zip", "w") as zf:
        for suffix in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
            if (tmp_path / f"area{suffix}").exists():
                zf.write(tmp_path / f"area{suffix}", f"area{suffix}")
    back = read_area(tmp_path / "area.zip")
    assert back.name == "Square"
    assert shapely.hausdorff_distance(back.geometry, SQUARE) < 1e-7
    with zipfile.ZipFile(tmp_path / "empty.zip", "w") as zf:
        zf.writestr("readme.txt", "nothing here")
    with pytest.raises(InvalidInput, match=r"no \.shp"):
        read_area(tmp_path / "empty.zip")


def test_read_lines_and_features():
    lines = read_lines(DATA / "lines_for_splitting.geojson")
    assert lines.geom_type == "MultiLineString" and len(lines.geoms) == 1
    with pytest.raises(InvalidInput, match="no lines"):
        read_lines(DATA / "points_only.geojson")
    cells = read_features(GEODATA / "demo_park.geojson")
    assert len(cells) == 2 and cells.crs.to_epsg() == 4326
    assert list(cells["part"].fillna("")) == ["", "island"]


def test_area_from_parsed_geojson_and_datums():
    obj = {
        "type": "Polygon",
        "coordinates": [[[126.6, 45.7], [126.61, 45.7], [126.61, 45.71], [126.6, 45.7]]],
    }
    wgs = area_from_geojson(obj).geometry
    gcj = area_from_geojson(obj, crs="gcj02").geometry
    assert wgs.is_valid and gcj.is_valid
    shift = np.abs(np.array(wgs.centroid.coords) - np.array(gcj.centroid.coords)).max()
    assert 0.001 < shift < 0.01  # a few hundred metres
    with pytest.raises(InvalidInput, match="request body"):
        area_from_geojson({"type": "Thing"})


# --- the real files of ../shared/geodata ---------------------------------------------------------


def test_shared_bad_files_load_or_are_refused_with_their_fault(shared_geodata):
    bad = shared_geodata / "bad"
    fixed = read_area(bad / "polygon_winding_order.geojson")
    assert shapely.is_ccw(fixed.geometry.exterior) and fixed.warnings == ()
    expected = {
        "different-first-last.geojson": ["ring 0 is not closed", "[100, 0]", "[100, 1]"],
        "stringcoord.geojson": ["feature 0", "is a string, not a number", "latitude"],
        "geometrycollection_nested.geojson": [
            "no area",
            "GeometryCollection",
            "Point",
            "LineString",
        ],
        "hourglass.geojson": ["self-intersection at longitude -45", "latitude -2.5", "refused"],
    }
    for name, words in expected.items():
        with pytest.raises(InvalidInput) as info:
            read_area(bad / name)
        for word in [name, *words]:
            assert word in str(info.value), str(info.value)
    assert {p.name for p in bad.iterdir()} == {*expected, "polygon_winding_order.geojson"}


def test_haidian_border_of_closed_lines_is_one_polygon(shared_geodata):
    loaded = read_area(shared_geodata / "roads" / "beijing_haidian_border_110108_wgs84.geojson")
    from gridmgr.projection import metric_crs, to_metric

    km2 = to_metric(loaded.geometry, metric_crs(loaded.geometry)).area / 1e6
    assert loaded.geometry.geom_type == "Polygon"
    assert 400 < km2 < 460


def test_grand_rapids_warns_of_three_unclosed_lines(shared_geodata):
    loaded = read_area(shared_geodata / "parks" / "grand_rapids_parks_osm.geojson")
    skipped = [w for w in loaded.warnings if "skipped" in w]
    assert len(skipped) == 1 and "3 LineString not closed: features 81, 82, 83" in skipped[0]
    riverside = read_area(
        shared_geodata / "parks" / "grand_rapids_parks_osm.geojson", feature="Riverside Park"
    )
    assert riverside.name == "Riverside Park" and riverside.geometry.geom_type == "Polygon"


def test_daoli_in_gcj02_moves_hundreds_of_metres(shared_geodata):
    from gridmgr.projection import metric_crs, to_metric

    path = shared_geodata / "admin" / "harbin_daoli_230102.json"
    as_wgs = read_area(path).geometry
    as_gcj = read_area(path, crs="gcj02").geometry
    crs = metric_crs(as_wgs)
    d = shapely.hausdorff_distance(to_metric(as_wgs, crs), to_metric(as_gcj, crs))
    assert 100 < d < 700


@settings(max_examples=150, deadline=None)
@given(data=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)))
def test_junk_never_escapes_as_anything_but_a_gridmgr_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("junk") / "junk.geojson"
    path.write_bytes(data)
    with pytest.raises(GridmgrError):
        read_area(path)


@settings(max_examples=150, deadline=None)
@given(
    obj=st.recursive(
        st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=5),
        lambda inner: (
            st.lists(inner, max_size=5)
            | st.dictionaries(
                st.sampled_from(
                    ["type", "features", "geometry", "coordinates", "properties", "geometries"]
                ),
                inner
                | st.sampled_from(
                    ["Feature", "FeatureCollection", "Polygon", "MultiPolygon", "LineString"]
                ),
                max_size=4,
            )
        ),
        max_leaves=30,
    )
)
def test_junk_json_structures_are_refused_cleanly(obj):
    with contextlib.suppress(GridmgrError):  # anything else escaping fails the test
        area_from_geojson(obj)


def test_overlapping_parts_of_one_multipolygon_are_unioned_with_a_warning():
    loaded = read_area(DATA / "multipolygon_overlapping_parts.geojson")
    assert shapely.equals(loaded.geometry, shapely.box(120.0, 30.0, 120.015, 30.01))
    assert any("overlap" in w for w in loaded.warnings)
