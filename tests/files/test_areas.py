"""Reading areas: every accepted form gives the same polygon; every refusal names file, feature and fault."""

from __future__ import annotations

import contextlib
import json
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Geod

from gridmgr.errors import GridmgrError, InvalidInput, LimitExceeded, NotFound
from gridmgr.files.areas import (
    Limits,
    LoadedArea,
    area_from_geojson,
    features_from_geojson,
    read_area,
    read_features,
    read_lines,
)

from conftest import ROOT, SHARED_GEODATA

DATA = ROOT / "tests" / "data"
SHARED = SHARED_GEODATA
SQUARE = shapely.box(120.0, 30.0, 120.01, 30.01)
GEOD = Geod(ellps="WGS84")


@pytest.fixture
def shared() -> Path:
    """The real sample files of ../shared/geodata; a fresh clone has none, so these tests skip."""
    if not SHARED.is_dir():
        pytest.skip("../shared/geodata is not beside this checkout")
    return SHARED


def refusal(path: Path | str, error: type[Exception] = InvalidInput, **kwargs) -> str:
    """The message of the error reading `path` raises; it must name the file."""
    with pytest.raises(error) as info:
        read_area(path, **kwargs)
    message = str(info.value)
    assert Path(path).name in message, message
    return message


def km2(geom: shapely.Geometry) -> float:
    return abs(GEOD.geometry_area_perimeter(geom)[0]) / 1e6


# --- accepted forms ------------------------------------------------------------------------------

SAME_SQUARE = [
    "square_feature_collection.geojson",
    "square_feature.geojson",
    "square_geometry.geojson",
    "bare_array.json",
    "bare_array_of_geometries.json",
    "geometry_collection.geojson",
    "polygon_3d.geojson",
    "square_clockwise.geojson",
    "closed_multilinestring.geojson",
    "square_utf8_bom.geojson",
    "gbk_names.geojson",
]


@pytest.mark.parametrize("name", SAME_SQUARE)
def test_every_accepted_form_gives_the_same_square(name):
    loaded = read_area(DATA / name)
    geom = loaded.geometry
    assert isinstance(loaded, LoadedArea) and loaded.source == str(DATA / name)
    assert geom.geom_type == "Polygon" and geom.is_valid and not geom.has_z
    assert shapely.equals(geom, SQUARE)
    assert shapely.is_ccw(geom.exterior)  # RFC 7946 winding, whatever the file had
    assert loaded.warnings == ()


@pytest.mark.parametrize("name", [n for n in SAME_SQUARE if n != "gbk_names.geojson"])
def test_parsed_geojson_gives_the_same_square(name):
    obj = json.loads((DATA / name).read_text(encoding="utf-8-sig"))
    loaded = area_from_geojson(obj)
    assert shapely.equals(loaded.geometry, SQUARE) and loaded.source == "request body"


def test_utf16_with_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "notepad.geojson"
    path.write_bytes((DATA / "square_feature.geojson").read_text().encode("utf-16"))
    assert shapely.equals(read_area(path).geometry, SQUARE)


def test_gb18030_file_is_read_with_its_chinese_name():
    loaded = read_area(DATA / "gbk_names.geojson")
    assert loaded.name == "中山公园" and loaded.properties == {"name": "中山公园"}


def test_island_inside_a_hole_is_kept():
    geom = read_area(DATA / "island_in_hole.geojson").geometry
    assert geom.geom_type == "MultiPolygon" and geom.is_valid
    outer, island = sorted(shapely.get_parts(geom), key=lambda p: -p.area)
    assert len(outer.interiors) == 1
    assert not shapely.is_ccw(outer.interiors[0])  # holes clockwise
    assert island.within(shapely.Polygon(outer.interiors[0]))


def test_closed_lines_nested_make_a_hole():
    loaded = read_area(DATA / "closed_lines_with_hole.geojson")
    geom = loaded.geometry
    assert geom.geom_type == "Polygon" and len(geom.interiors) == 1
    assert shapely.equals(geom, SQUARE.difference(shapely.box(120.003, 30.003, 120.007, 30.007)))
    assert loaded.name == "Pond park" and loaded.warnings == ()


def test_lines_of_several_features_that_join_into_a_ring_make_the_area():
    loaded = read_area(DATA / "lines_joining_across_features.geojson")
    assert shapely.equals(loaded.geometry, SQUARE)
    (warning,) = loaded.warnings
    assert "features 0, 1" in warning and "closed rings" in warning


def test_small_self_intersection_is_repaired_with_a_warning():
    loaded = read_area(DATA / "self_intersecting_small_loop.geojson")
    assert loaded.geometry.is_valid
    assert loaded.geometry.area == pytest.approx(SQUARE.area, rel=1e-3)
    (warning,) = loaded.warnings
    assert "feature 0" in warning and "self-intersection at longitude 120.00499" in warning
    assert "repaired (the area changed by less than 0.001%)" in warning


def test_a_spike_is_repaired_with_a_warning():
    spike = [[120.0, 30.0], [120.01, 30.0], [120.01, 30.005], [120.02, 30.005], [120.01, 30.005]]
    ring = [*spike, [120.01, 30.01], [120.0, 30.01], [120.0, 30.0]]
    loaded = area_from_geojson({"type": "Polygon", "coordinates": [ring]})
    assert shapely.equals(loaded.geometry, SQUARE)
    (warning,) = loaded.warnings
    assert "self-intersection at longitude 120.02, latitude 30.005 repaired" in warning


def test_overlapping_parts_of_one_multipolygon_are_unioned_with_a_warning():
    loaded = read_area(DATA / "multipolygon_overlapping_parts.geojson")
    assert shapely.equals(loaded.geometry, shapely.box(120.0, 30.0, 120.015, 30.01))
    assert any("overlap" in w and "union" in w for w in loaded.warnings)


def test_features_that_are_not_areas_are_skipped_and_counted():
    loaded = read_area(DATA / "polygon_and_points.geojson")
    assert shapely.equals(loaded.geometry, SQUARE)
    assert loaded.name == "Square" and loaded.properties == {"name": "Square"}
    (warning,) = loaded.warnings
    assert warning.startswith("2 features that are not areas were skipped")
    assert "1 Point: feature 1" in warning and "no geometry: feature 2" in warning


# --- choosing a feature ----------------------------------------------------------------------------


def test_all_polygon_features_are_dissolved():
    loaded = read_area(DATA / "named_parks.geojson")
    assert loaded.geometry.geom_type == "MultiPolygon"
    assert loaded.name is None and loaded.properties == {}
    assert any("1 Point: feature 2" in w for w in loaded.warnings)


@pytest.mark.parametrize(
    ("feature", "name"),
    [
        (0, "West Park"),
        (1, "East Park"),
        ("East Park", "East Park"),
        ("west-1", "West Park"),
        ("7", "East Park"),
    ],
)
def test_choose_a_feature_by_index_name_or_id(feature, name):
    loaded = read_area(DATA / "named_parks.geojson", feature=feature)
    assert loaded.name == name and loaded.geometry.geom_type == "Polygon"
    assert loaded.properties["name"] == name and loaded.warnings == ()


def test_choosing_a_feature_that_is_missing_or_not_an_area():
    path = DATA / "named_parks.geojson"
    message = refusal(path, NotFound, feature="Central Park")
    assert "'Central Park'" in message and "'East Park'" in message and "'West Park'" in message
    assert "features 0 to 2" in refusal(path, NotFound, feature=5)
    assert "features 0 to 2" in refusal(path, NotFound, feature=-1)
    message = refusal(path, feature="Gate")
    assert "no area" in message and "Point" in message and "feature 2" in message
    with pytest.raises(InvalidInput, match="index or a name"):
        read_area(path, feature=True)


def test_missing_names_list_at_most_ten(tmp_path):
    ring = [[120.0, 30.0], [120.01, 30.0], [120.01, 30.01], [120.0, 30.0]]
    features = [
        {
            "type": "Feature",
            "properties": {"name": f"Park {k:02d}"},
            "geometry": {"type": "Polygon", "coordinates": [ring]},
        }
        for k in range(14)
    ]
    path = tmp_path / "many.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    message = refusal(path, NotFound, feature="Park 99")
    assert "'Park 09'" in message and "'Park 10'" not in message and "4 more" in message


# --- refusals ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("ring_not_closed.geojson", ['feature 0 ("Square", Polygon)', "ring 0 is not closed",
                                     "starts at [120.0, 30.0]", "ends at [120.0, 30.01]",
                                     "repeat the first position"]),
        ("too_few_positions.geojson", ["feature 0", "ring 0 has 3 positions", "at least 4"]),
        ("string_coordinate.geojson", ['feature 0 ("Typed by hand", Polygon)', "ring 0, position 2",
                                       'latitude "30.01" is a string', "not a number"]),
        ("null_coordinate.geojson", ["ring 0, position 1", "latitude null is null", "not a number"]),
        ("nan_coordinate.geojson", ["NaN", "not a number"]),
        ("out_of_range.geojson", ["feature 0", "ring 0, position 0", "[120000.0, 30000.0]",
                                  "outside longitude -180..180", "EPSG:3857", "WGS84"]),
        ("swapped_latlon.geojson", ["position 0", "[120.0, 120.0]", "outside", "swapped"]),
        ("bowtie.geojson", ['feature 0 ("Bow tie", Polygon)', "self-intersection at longitude 120.005",
                            "latitude 30.005", "refused", "does not cross itself"]),
        ("bowtie_as_closed_line.geojson", ["closed line 0", "self-intersection at longitude 120.005"]),
        ("crossing_closed_lines.geojson", ['feature 0 ("Two loops", MultiLineString)', "closed lines 0 and 1 cross",
                                           "longitude 120.005, latitude 30.01"]),
        ("hole_outside_shell.geojson", ["hole lies outside shell", "longitude 120.02", "refused"]),
        ("zero_area.geojson", ["feature 0", "encloses no area"]),
        # three corners on one line whose decimals leave GEOS an area of 1e-22 degrees² (issue 12)
        ("zero_area_by_rounding.geojson", ["feature 0 (Polygon)", "encloses no area", "on one line",
                                           "at least three corners"]),
        ("points_only.geojson", ["no area in this file", "1 Point: feature 0", "1 MultiPoint: feature 1",
                                 "Polygon or MultiPolygon"]),
        ("open_line.geojson", ["no area in this file", 'feature 0 ("Fence") is a LineString whose ends do not meet']),
        ("empty_collection.geojson", ["no features"]),
        ("antimeridian.geojson", ["antimeridian", "split it at 180°"]),
        ("not_json.geojson", ["not GeoJSON", "starts with 'type,name"]),
        ("truncated.geojson", ["not valid JSON", "line 1, column"]),
        ("whitespace.geojson", ["only whitespace"]),
        ("empty.geojson", ["the file is empty"]),
        ("binary.geojson", ["cannot read it", "binary data"]),
    ],
)  # fmt: skip
def test_refusals_name_file_feature_and_fault(name, words):
    message = refusal(DATA / name)
    for word in words:
        assert word in message, message
    assert "Traceback" not in message and "\n" not in message


FLAT_RING = json.loads((DATA / "zero_area_by_rounding.geojson").read_text())["coordinates"][0]


def test_a_flat_polygon_is_refused_through_every_reader(tmp_path):
    """Corners on one line in decimals: refused as an area (also when drawn as a closed line), as a
    drawn cell, and from parsed GeoJSON, wherever GEOS measures an area a hair above zero."""
    polygon = {"type": "Polygon", "coordinates": [FLAT_RING]}
    assert 0 < shapely.from_geojson(json.dumps(polygon)).area < 1e-20  # what slipped through
    with pytest.raises(InvalidInput, match=r"feature 0 .*: the polygon encloses no area"):
        area_from_geojson(polygon, source="body")
    ring = {"type": "LineString", "coordinates": FLAT_RING}
    with pytest.raises(InvalidInput, match="closed line 0: the polygon encloses no area"):
        area_from_geojson(ring, source="body")
    cells = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "A"}, "geometry": SQUARE.__geo_interface__},
        {"type": "Feature", "properties": {"code": "B"}, "geometry": polygon},
    ]}  # fmt: skip
    with pytest.raises(InvalidInput, match=r"body: feature 1 .*encloses no area"):
        features_from_geojson(cells, source="body")
    path = tmp_path / "cells.geojson"
    path.write_text(json.dumps(cells))
    with pytest.raises(InvalidInput, match=r"cells\.geojson: feature 1 .*encloses no area"):
        read_features(path)


def test_a_flat_part_of_a_multipolygon_is_left_out_and_said():
    square = shapely.box(7.40, 43.73, 7.41, 43.74)  # near the flat ring, touching nothing
    both = {"type": "MultiPolygon", "coordinates": [[list(square.exterior.coords)], [FLAT_RING]]}
    got = area_from_geojson(both, source="body")
    assert got.geometry.equals(shapely.orient_polygons(square))
    assert any("1 of its 2 polygons enclose no area" in w for w in got.warnings), got.warnings


def test_the_second_bad_feature_is_named_too():
    path = DATA / "ring_not_closed.geojson"
    # fix feature 0 in memory: then feature 1's second polygon is the fault
    obj = json.loads(path.read_text())
    obj["features"][0]["geometry"]["coordinates"][0].append([120.0, 30.0])
    with pytest.raises(InvalidInput) as info:
        area_from_geojson(obj, source="park.geojson")
    assert (
        'park.geojson: feature 1 ("Oxford Park", MultiPolygon): polygon 1, ring 0 is not closed'
        in str(info.value)
    )


def test_missing_file_folder_and_impossible_path(tmp_path):
    assert "no such file" in refusal(tmp_path / "nope.geojson", NotFound)
    assert "folder" in refusal(tmp_path)
    with pytest.raises(InvalidInput, match="cannot open it"):
        read_area("bad\x00name.geojson")


def test_unreadable_file(tmp_path, monkeypatch):
    path = tmp_path / "locked.geojson"
    path.write_text((DATA / "square_feature.geojson").read_text())

    def locked(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "open", locked)
    message = refusal(path)
    assert "cannot read it" in message and "permission" in message


def test_json_that_python_cannot_hold_is_refused(tmp_path):
    path = tmp_path / "digits.geojson"
    path.write_text('{"type": "Point", "coordinates": [1' + "0" * 5000 + ", 1]}")
    assert "not valid JSON" in refusal(path)
    big = {"type": "Polygon", "coordinates": [[[10**400, 0], [1, 0], [1, 1], [10**400, 0]]]}
    with pytest.raises(InvalidInput, match="far too large"):
        area_from_geojson(big)
    flag = {"type": "Polygon", "coordinates": [[[True, 0], [1, 0], [1, 1], [True, 0]]]}
    with pytest.raises(InvalidInput, match="longitude true is a boolean"):
        area_from_geojson(flag)


def test_misnamed_or_damaged_binary_formats(tmp_path):
    (tmp_path / "area.gpkg").write_bytes(b"not a geopackage at all")
    assert "not a gpkg file" in refusal(tmp_path / "area.gpkg")
    (tmp_path / "broken.gpkg").write_bytes(b"SQLite format 3\x00" + bytes(200))
    assert "cannot read it as a GeoPackage" in refusal(tmp_path / "broken.gpkg")
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04 and then nothing")
    assert "not a readable zip" in refusal(tmp_path / "broken.zip")
    with zipfile.ZipFile(tmp_path / "notes.zip", "w") as zf:
        zf.writestr("readme.txt", "nothing here")
    assert "no .shp file (it holds readme.txt)" in refusal(tmp_path / "notes.zip")


# --- limits --------------------------------------------------------------------------------------


def test_file_size_limit_is_checked_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "big.geojson"
    path.write_bytes(b"junk that would be refused as not GeoJSON if it were read" * 40)

    def must_not_open(self, *args, **kwargs):
        raise AssertionError("the file was opened")

    monkeypatch.setattr(Path, "open", must_not_open)
    message = refusal(path, LimitExceeded, limits=Limits(max_file_bytes=1000))
    assert "2.2 KB" in message and "1000 bytes" in message and "GRIDMGR_MAX_FILE_MB" in message


def test_area_limit():
    message = refusal(
        DATA / "square_feature.geojson", LimitExceeded, limits=Limits(max_area_km2=0.5)
    )
    assert "1.1 km²" in message and "GRIDMGR_MAX_AREA_KM2" in message
    assert Limits().max_area_km2 == 50_000.0


def test_limits_from_environment():
    env = {"GRIDMGR_MAX_FILE_MB": "2", "GRIDMGR_MAX_AREA_KM2": "7", "GRIDMGR_MAX_CELLS": "99"}
    assert Limits.from_env(env) == Limits(max_file_bytes=2 * 2**20, max_area_km2=7.0, max_cells=99)
    assert Limits.from_env({"GRIDMGR_MAX_AREA_KM2": " "}) == Limits()
    for name, bad in [("GRIDMGR_MAX_CELLS", "lots"), ("GRIDMGR_MAX_CELLS", "2.5"),
                      ("GRIDMGR_MAX_FILE_MB", "-1"), ("GRIDMGR_MAX_AREA_KM2", "inf")]:  # fmt: skip
        with pytest.raises(InvalidInput, match=name):
            Limits.from_env({name: bad})


# --- GeoPackage and Shapefile ----------------------------------------------------------------------


def test_geopackage_round_trip(tmp_path):
    frame = gpd.GeoDataFrame(
        {"name": ["Square"], "note": [None]}, geometry=[SQUARE], crs="EPSG:4326"
    )
    frame.to_file(tmp_path / "area.gpkg", driver="GPKG")
    loaded = read_area(tmp_path / "area.gpkg")
    assert shapely.equals(loaded.geometry, SQUARE)
    assert loaded.name == "Square" and loaded.properties == {"name": "Square"}


def test_zipped_shapefile_in_a_projected_crs_round_trip(tmp_path):
    frame = gpd.GeoDataFrame({"name": ["Square"]}, geometry=[SQUARE], crs="EPSG:4326")
    frame.to_crs(32651).to_file(tmp_path / "area.shp")
    with zipfile.ZipFile(tmp_path / "area.zip", "w") as zf:
        for suffix in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
            if (tmp_path / f"area{suffix}").exists():
                zf.write(tmp_path / f"area{suffix}", f"area{suffix}")
        zf.writestr("__MACOSX/._area.shp", b"\x00\x05\x16\x07")  # what a Mac adds
    back = read_area(tmp_path / "area.zip")
    assert back.name == "Square" and back.warnings == ()
    assert shapely.hausdorff_distance(back.geometry, SQUARE) < 1e-7


def test_shapefile_without_prj_is_taken_in_the_given_datum(tmp_path):
    frame = gpd.GeoDataFrame({"name": ["Square"]}, geometry=[SQUARE])
    with pytest.warns(UserWarning, match="crs"):
        frame.to_file(tmp_path / "area.shp")
    assert shapely.equals(read_area(tmp_path / "area.shp").geometry, SQUARE)
    shifted = read_area(tmp_path / "area.shp", crs="gcj02").geometry
    assert 0.001 < shapely.hausdorff_distance(shifted, SQUARE) < 0.01  # a few hundred metres
    projected = gpd.GeoDataFrame(geometry=[shapely.box(4e5, 3.3e6, 4.1e5, 3.31e6)])
    with pytest.warns(UserWarning, match="crs"):
        projected.to_file(tmp_path / "utm.shp")
    message = refusal(tmp_path / "utm.shp")
    assert "feature 0" in message and "3300000.0]" in message and "projected CRS" in message


def test_geopackage_with_several_layers_says_which_it_read(tmp_path):
    path = tmp_path / "two.gpkg"
    gpd.GeoDataFrame(geometry=[shapely.Point(120, 30)], crs=4326).to_file(path, layer="gates")
    gpd.GeoDataFrame({"name": ["Square"]}, geometry=[SQUARE], crs=4326).to_file(path, layer="park")
    loaded = read_area(path)
    assert shapely.equals(loaded.geometry, SQUARE)
    assert loaded.warnings == ("the file has 2 layers ('gates', 'park'); only 'park' was read",)


# --- lines and single features ---------------------------------------------------------------------


def test_read_lines_takes_lines_and_polygon_outlines():
    lines = read_lines(DATA / "lines_for_splitting.geojson")
    assert lines.geom_type == "MultiLineString" and len(lines.geoms) == 1
    assert len(read_lines(DATA / "open_line.geojson").geoms) == 1  # unclosed is fine here
    outline = read_lines(DATA / "square_feature.geojson")
    assert shapely.equals(outline, SQUARE.boundary)
    with pytest.raises(InvalidInput, match=r"points_only\.geojson: no lines.*Point"):
        read_lines(DATA / "points_only.geojson")
    with pytest.raises(InvalidInput, match="outside longitude"):
        read_lines(DATA / "out_of_range.geojson")


def test_read_features_keeps_each_polygon_as_a_row():
    cells = read_features(DATA / "multipolygon_overlapping_parts.geojson")
    assert len(cells) == 1 and cells.crs.to_epsg() == 4326
    parks = read_features(DATA / "named_parks.geojson")
    assert list(parks["name"]) == ["West Park", "East Park"]
    assert list(parks["kind"].fillna("")) == ["park", ""]
    assert parks.attrs["warnings"] == (
        "1 feature that is not an area was skipped (1 Point: feature 2)",
    )
    assert shapely.equals(parks.geometry.iloc[0], SQUARE)
    with pytest.raises(InvalidInput, match="no polygons"):
        read_features(DATA / "points_only.geojson")
    with pytest.raises(InvalidInput, match="self-intersection"):
        read_features(DATA / "bowtie.geojson")


def test_datums_convert_after_checking():
    obj = json.loads((DATA / "square_geometry.geojson").read_text())
    wgs = area_from_geojson(obj).geometry
    for datum in ("gcj02", "GCJ-02", "bd09"):
        moved = area_from_geojson(obj, crs=datum).geometry
        assert moved.is_valid and 0.001 < shapely.hausdorff_distance(wgs, moved) < 0.02
    with pytest.raises(InvalidInput, match="datum"):
        area_from_geojson(obj, crs="etrs89")
    with pytest.raises(InvalidInput, match="request body"):
        area_from_geojson({"type": "Thing"})


# --- the real files of ../shared/geodata ---------------------------------------------------------


def test_shared_bad_files_load_or_are_refused_with_their_fault(shared):
    bad = shared / "bad"
    # a 1° square at the equator is 12,300 km², more than the default limit
    fixed = read_area(bad / "polygon_winding_order.geojson", limits=Limits(max_area_km2=20_000))
    assert shapely.is_ccw(fixed.geometry.exterior) and fixed.warnings == ()
    assert shapely.equals(fixed.geometry, shapely.box(100, 0, 101, 1))
    expected = {
        "different-first-last.geojson": ["ring 0 is not closed", "[100.0, 0.0]", "[100.0, 1.0]"],
        "stringcoord.geojson": ["feature 0", "position 0", '"39.36827914916011" is a string'],
        "geometrycollection_nested.geojson": [
            "no area in this file: feature 0 is a GeometryCollection of 2 Points and 1 LineString",
            "Polygon or MultiPolygon",
        ],
        "hourglass.geojson": ["self-intersection at longitude -45, latitude -2.5", "refused"],
    }
    for name, words in expected.items():
        message = refusal(bad / name)
        for word in words:
            assert word in message, message
    assert {p.name for p in bad.iterdir()} == {*expected, "polygon_winding_order.geojson"}


def test_haidian_border_of_closed_lines_is_one_polygon(shared):
    loaded = read_area(shared / "roads" / "beijing_haidian_border_110108_wgs84.geojson")
    assert loaded.geometry.geom_type == "Polygon" and loaded.geometry.is_valid
    assert loaded.name == "海淀区" and loaded.warnings == ()
    assert 400 < km2(loaded.geometry) < 460


def test_haidian_roads_are_lines(shared):
    roads = read_lines(shared / "roads" / "beijing_haidian_roads_110108_wgs84.geojson")
    assert len(roads.geoms) >= 1311


def test_grand_rapids_warns_of_exactly_three_unclosed_lines(shared):
    path = shared / "parks" / "grand_rapids_parks_osm.geojson"
    loaded = read_area(path)
    skipped = [w for w in loaded.warnings if "skipped" in w]
    assert skipped == [
        "3 features that are not areas were skipped "
        "(3 LineStrings whose ends do not meet: features 81, 82, 83)"
    ]
    assert loaded.geometry.is_valid and len(read_features(path)) == 81
    riverside = read_area(path, feature="Riverside Park")
    assert riverside.name == "Riverside Park" and riverside.geometry.geom_type == "Polygon"
    assert riverside.warnings == () and riverside.geometry.within(loaded.geometry.buffer(1e-9))


def test_daoli_in_gcj02_moves_hundreds_of_metres(shared):
    path = shared / "admin" / "harbin_daoli_230102.json"
    both = gpd.GeoSeries(
        [read_area(path).geometry, read_area(path, crs="gcj02").geometry], crs=4326
    )
    metric = both.to_crs(both.estimate_utm_crs())
    assert 100 < shapely.hausdorff_distance(metric.iloc[0], metric.iloc[1]) < 700


# --- nothing but GridmgrError escapes ------------------------------------------------------------

_JUNK = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

_JSON = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(
            st.sampled_from(["type", "features", "geometry", "coordinates", "properties", "geometries"]),
            inner | st.sampled_from(["Feature", "FeatureCollection", "Polygon", "MultiPolygon", "LineString"]),
            max_size=4,
        )
    ),
    max_leaves=30,
)  # fmt: skip


@_JUNK
@given(data=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)))
def test_junk_bytes_only_raise_gridmgr_errors(tmp_path, data):
    path = tmp_path / "junk.geojson"
    path.write_bytes(data)
    with contextlib.suppress(GridmgrError):
        read_area(path)


@_JUNK
@given(
    obj=_JSON,
    cut=st.integers(min_value=0, max_value=400),
    encoding=st.sampled_from(["utf-8", "gb18030", "utf-16"]),
)
def test_junk_json_text_only_raises_gridmgr_errors(tmp_path, obj, cut, encoding):
    path = tmp_path / "junk.geojson"
    text = json.dumps(obj)
    path.write_bytes(text[: max(cut, len(text) // 2)].encode(encoding, errors="replace"))
    with contextlib.suppress(GridmgrError):
        read_area(path)


@settings(max_examples=200, deadline=None)
@given(obj=_JSON)
def test_junk_json_structures_only_raise_gridmgr_errors(obj):
    with contextlib.suppress(GridmgrError):
        area_from_geojson(obj)


_NUMBER = st.one_of(
    st.floats(min_value=-200, max_value=200),
    st.floats(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.sampled_from([True, None, "1.5", 10**400]),
)


@settings(max_examples=300, deadline=None)
@given(ring=st.lists(st.lists(_NUMBER, min_size=0, max_size=3), max_size=9), close=st.booleans())
def test_random_rings_give_a_valid_area_or_a_gridmgr_error(ring, close):
    if close and ring:
        ring = [*ring, ring[0]]
    try:
        loaded = area_from_geojson(
            {"type": "Polygon", "coordinates": [ring]}, limits=Limits(max_area_km2=1e12)
        )
    except GridmgrError:
        return
    geom = loaded.geometry
    assert geom.is_valid and not geom.is_empty and not geom.has_z and geom.area > 0
    assert np.all(np.abs(shapely.get_coordinates(geom)) <= [180, 90])


@settings(max_examples=200, deadline=None)
@given(
    ring=st.lists(
        st.tuples(st.floats(120.0, 120.01), st.floats(30.0, 30.01)), min_size=3, max_size=9
    )
)
def test_random_closed_rings_are_repaired_into_valid_areas_or_refused(ring):
    coords = [list(p) for p in [*ring, ring[0]]]
    try:
        loaded = area_from_geojson({"type": "Polygon", "coordinates": [coords]})
    except InvalidInput as exc:
        assert "request body: feature 0 (Polygon)" in str(exc)
        return
    assert loaded.geometry.is_valid and loaded.geometry.area > 0
    assert shapely.is_ccw(shapely.get_exterior_ring(shapely.get_parts(loaded.geometry))).all()


@_JUNK
@given(
    edits=st.lists(
        st.tuples(st.integers(min_value=0, max_value=200), st.binary(max_size=3)), max_size=4
    )
)
def test_damaged_copies_of_a_good_file_only_raise_gridmgr_errors(tmp_path, edits):
    data = bytearray((DATA / "ring_not_closed.geojson").read_bytes())
    for at, new in edits:
        data[at : at + len(new)] = new
    path = tmp_path / "damaged.geojson"
    path.write_bytes(bytes(data))
    with contextlib.suppress(GridmgrError):
        read_area(path)
