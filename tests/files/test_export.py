"""Written cells: rounded to 7 decimals and still a tiling; atomic; readable by pyogrio."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gridmgr.errors import InvalidInput
from gridmgr.files.export import rounded, write_cells
from gridmgr.geometry.gridding import cells_from_area
from gridmgr.geometry.noding import add_shared_vertices
from gridmgr.geometry.projection import metric_crs, to_metric

PARK = shapely.Polygon(
    [
        (120.460, 36.100),
        (120.471, 36.1004),
        (120.4695, 36.1083),
        (120.4651, 36.1046),
        (120.4602, 36.1079),
    ],
    holes=[[(120.4622, 36.1012), (120.4622, 36.1021), (120.4634, 36.1021), (120.4634, 36.1012)]],
)


def tiling_defects(geoms: np.ndarray, area: shapely.Geometry) -> tuple[float, float]:
    """(largest pairwise overlap as a share of the smaller cell, union's relative difference from the area)."""
    crs = metric_crs(area)
    m = to_metric(geoms, crs)
    tree = shapely.STRtree(m)
    a, b = tree.query(m, predicate="intersects")
    keep = a < b
    a, b = a[keep], b[keep]
    overlap = shapely.area(shapely.intersection(m[a], m[b])) / np.minimum(
        shapely.area(m[a]), shapely.area(m[b])
    )
    union = shapely.union_all(m)
    region = to_metric(area, crs)
    return float(overlap.max()), float(
        shapely.area(shapely.symmetric_difference(union, region)) / region.area
    )


@pytest.mark.parametrize(
    "kwargs", [{"count": 40}, {"cell_size": 60}, {"cell_size": 60, "shape": "hex"}]
)
def test_rounded_cells_still_tile(kwargs):
    cells = cells_from_area(PARK, **kwargs)
    out = rounded(np.asarray(cells.geometry.values))
    assert shapely.is_valid(out).all()
    coords = shapely.get_coordinates(out)
    np.testing.assert_array_equal(coords, np.round(coords, 7))
    overlap, coverage = tiling_defects(out, PARK)
    assert overlap < 1e-9
    # rounding moves the outline by at most half a 1e-7 degree step (< 1 cm)
    assert coverage < 1e-4


def test_t_junctions_get_the_neighbours_vertex():
    left = shapely.box(0, 0, 1, 2)
    right_top = shapely.box(1, 1.00000003, 2, 2)
    right_bottom = shapely.box(1, 0, 2, 1.00000003)
    geoms = np.array([left, right_top, right_bottom], dtype=object)
    noded = add_shared_vertices(geoms, tolerance=1e-9)
    assert shapely.get_num_coordinates(noded[0]) == shapely.get_num_coordinates(left) + 1
    out = rounded(geoms)
    assert shapely.area(shapely.intersection(out[0], out[1])) == 0
    assert shapely.area(shapely.intersection(out[0], out[2])) == 0


def test_write_geojson_and_gpkg(tmp_path):
    cells = cells_from_area(PARK, count=12, prefix="PARK-")
    for name in ("cells.geojson", "cells.gpkg"):
        path = write_cells(cells, tmp_path / name)
        back = gpd.read_file(path)
        assert list(back["code"]) == list(cells["code"])
        assert back.crs.to_epsg() == 4326
        np.testing.assert_allclose(back["area_m2"], cells["area_m2"], atol=0.01)
    doc = json.loads((tmp_path / "cells.geojson").read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection" and len(doc["features"]) == 12
    assert set(doc["features"][0]["properties"]) == {"code", "area_m2"}


def test_write_refuses_unknown_format_and_missing_folder(tmp_path):
    cells = cells_from_area(PARK, count=3)
    with pytest.raises(InvalidInput, match="unknown output format"):
        write_cells(cells, tmp_path / "cells.kml")
    with pytest.raises(InvalidInput, match="does not exist"):
        write_cells(cells, tmp_path / "nowhere" / "cells.geojson")
    assert list(tmp_path.iterdir()) == []


def test_a_cell_that_rounding_would_empty_is_refused_not_written(tmp_path):
    """Seven decimals keep about 1 cm: a cell thinner than that would be written as [[]]; the write
    refuses it by code instead, and leaves no file."""
    cells = cells_from_area(PARK, count=3)
    flat = shapely.Polygon([(120.46, 36.1), (120.47, 36.1), (120.47, 36.10000001)])  # 1 mm wide
    cells.loc[1, "geometry"] = flat
    for name in ("cells.geojson", "cells.gpkg"):
        with pytest.raises(InvalidInput, match=f"{name}: cell C-002 came out empty"):
            write_cells(cells, tmp_path / name)
    assert list(tmp_path.iterdir()) == []
