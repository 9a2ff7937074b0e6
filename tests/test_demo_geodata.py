"""The project's own demo areas are what geodata/README.md says they are."""

from __future__ import annotations

import geopandas as gpd
import shapely

from gridmgr.files.areas import read_area, read_lines

from conftest import GEODATA


def test_demo_park_has_a_pond_with_an_island():
    park = gpd.read_file(GEODATA / "demo_park.geojson").to_crs(32651)
    main, island = park.geometry
    assert park.is_valid.all()
    assert 8.5e4 < main.area < 10e4 and len(main.interiors) == 1
    assert island.within(shapely.Polygon(main.interiors[0]))
    area = read_area(GEODATA / "demo_park.geojson").geometry
    assert area.geom_type == "MultiPolygon"


def test_demo_community_is_two_parts():
    community = gpd.read_file(GEODATA / "demo_community.geojson").to_crs(32651)
    (geom,) = community.geometry
    assert geom.geom_type == "MultiPolygon" and len(geom.geoms) == 2
    assert 15e4 < geom.area < 30e4
    a, b = geom.geoms
    assert a.distance(b) > 20


def test_demo_paths_cross_the_park_into_blocks():
    park = read_area(GEODATA / "demo_park.geojson", feature=0).geometry
    paths = read_lines(GEODATA / "demo_paths.geojson")
    for path in paths.geoms:
        ends = shapely.points(shapely.get_coordinates(path)[[0, -1]])
        assert not shapely.intersects(ends, park).any()
    blocks = shapely.get_parts(shapely.polygonize([shapely.union_all([park.boundary, paths])]))
    inside = [b for b in blocks if park.contains(b.representative_point())]
    assert len(inside) >= 4
