"""Any file into raw features: GeoJSON text, GeoPackages (the preferred layer, with a note when there
are several) and (zipped) Shapefiles reprojected to lon/lat; sizes checked before reading."""

from __future__ import annotations

import zipfile

import geopandas as gpd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridmgr.errors import InvalidInput, LimitExceeded, NotFound
from gridmgr.files.sources import read_file

from conftest import ROOT

DATA = ROOT / "tests" / "data"
SQUARE = shapely.box(120.0, 30.0, 120.01, 30.01)
ROAD = shapely.LineString([(120.0, 30.0), (120.01, 30.01)])
BIG = 10 * 2**20


def test_geojson_gives_its_features_and_no_notes():
    features, notes = read_file(DATA / "square_feature_collection.geojson", BIG, prefer="Polygon")
    assert notes == [] and len(features) == 1
    assert shapely.equals(features[0].geometry, SQUARE)


def test_a_geopackage_with_several_layers_reads_the_preferred_one_and_says_so(tmp_path):
    path = tmp_path / "city.gpkg"
    gpd.GeoDataFrame({"name": ["road"]}, geometry=[ROAD], crs=4326).to_file(path, layer="roads")
    gpd.GeoDataFrame({"name": ["park"]}, geometry=[SQUARE], crs=4326).to_file(path, layer="parks")
    for prefer, name, geom in (("Polygon", "park", SQUARE), ("LineString", "road", ROAD)):
        features, notes = read_file(path, BIG, prefer=prefer)
        assert [f.name for f in features] == [name] and shapely.equals(features[0].geometry, geom)
        assert len(notes) == 1 and "2 layers" in notes[0] and "'roads', 'parks'" in notes[0]


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(epsg=st.sampled_from([32651, 3857, 4547]), n=st.integers(1, 3))
def test_a_zipped_shapefile_in_a_projected_crs_comes_back_in_lon_lat(tmp_path, epsg, n):
    squares = [shapely.box(120.0 + k / 100, 30.0, 120.005 + k / 100, 30.005) for k in range(n)]
    frame = gpd.GeoDataFrame({"name": [f"p{k}" for k in range(n)]}, geometry=squares, crs=4326)
    folder = tmp_path / f"shp{epsg}{n}"
    folder.mkdir(exist_ok=True)
    frame.to_crs(epsg).to_file(folder / "parks.shp")
    path = folder / "parks.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for part in folder.glob("parks.*"):
            if part.suffix != ".zip":
                zf.write(part, part.name)
    features, notes = read_file(path, BIG, prefer="Polygon")
    assert notes == [] and [f.name for f in features] == [f"p{k}" for k in range(n)]
    for got, want in zip(features, squares, strict=True):
        assert got.type_name == "Polygon"
        assert shapely.hausdorff_distance(got.geometry, want) < 1e-7  # about a centimetre


def test_a_zip_of_several_shapefiles_reads_the_first_and_says_so(tmp_path):
    for name in ("a", "b"):
        gpd.GeoDataFrame(geometry=[SQUARE], crs=4326).to_file(tmp_path / f"{name}.shp")
    path = tmp_path / "two.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for part in sorted(tmp_path.glob("[ab].*")):
            zf.write(part, part.name)
    features, notes = read_file(path, BIG, prefer="Polygon")
    assert len(features) == 1 and notes == ["the zip holds 2 Shapefiles; only 'a.shp' was read"]


@pytest.mark.parametrize("entry", ["../evil.shp", "/abs/evil.shp", "dir\\evil.shp"])
def test_a_zip_entry_leading_out_of_the_zip_is_refused(tmp_path, entry):
    path = tmp_path / "evil.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(entry, b"\x00\x00\x27\x0a")
    with pytest.raises(InvalidInput, match="leads out of the zip"):
        read_file(path, BIG, prefer="Polygon")


@given(size=st.integers(1, 5000), limit=st.integers(1, 5000))
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_the_size_limit_is_exact(tmp_path, size, limit):
    path = tmp_path / "pad.geojson"
    path.write_bytes(b'{"type": "Polygon", "coordinates": []}'.ljust(size, b" ")[: max(size, 39)])
    actual = path.stat().st_size
    if actual > limit:
        with pytest.raises(LimitExceeded, match=r"over the limit of .*GRIDMGR_MAX_FILE_MB"):
            read_file(path, limit, prefer="Polygon")
    else:
        features, _ = read_file(path, limit, prefer="Polygon")
        assert len(features) == 1 and features[0].geometry.is_empty


def test_paths_that_are_no_file_are_refused(tmp_path):
    with pytest.raises(NotFound, match="no such file"):
        read_file(tmp_path / "nope.geojson", BIG, prefer="Polygon")
    with pytest.raises(InvalidInput, match="is a folder"):
        read_file(tmp_path, BIG, prefer="Polygon")
    (tmp_path / "empty.geojson").write_bytes(b"")
    with pytest.raises(InvalidInput, match=r"empty \(0 bytes\)"):
        read_file(tmp_path / "empty.geojson", BIG, prefer="Polygon")
    (tmp_path / "fake.gpkg").write_text("hello")
    with pytest.raises(InvalidInput, match="not a gpkg file"):
        read_file(tmp_path / "fake.gpkg", BIG, prefer="Polygon")


def test_positions_off_the_globe_in_a_shapefile_without_prj_are_refused(tmp_path):
    metres = gpd.GeoDataFrame(geometry=[shapely.box(500_000, 4e6, 500_100, 4e6 + 100)])
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        metres.to_file(tmp_path / "metres.shp")
    with pytest.raises(InvalidInput, match=r"feature 0 \(Polygon\): position 0.*outside longitude"):
        read_file(tmp_path / "metres.shp", BIG, prefer="Polygon")
