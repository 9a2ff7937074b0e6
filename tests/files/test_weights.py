"""Reading weights: points count (or carry a field), polygons spread their figure over their parts by
area, lines weigh nothing; a missing field or a bad figure is refused naming the feature."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridmgr.errors import InvalidInput
from gridmgr.files.weights import (
    read_weights,
    split_weight_spec,
    weight_source_name,
    weights_from_geojson,
)


def collection(*features: tuple[dict, dict]) -> dict:
    return {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": p, "geometry": g} for g, p in features],
    }


def point(x: float, y: float) -> dict:
    return {"type": "Point", "coordinates": [x, y]}


def box(x: float, y: float, w: float, h: float) -> list:
    return [[[x, y], [x + w, y], [x + w, y + h], [x, y + h], [x, y]]]


@settings(max_examples=40, deadline=None)
@given(counts=st.lists(st.integers(0, 500) | st.floats(0, 1e6), min_size=1, max_size=10))
def test_points_weigh_their_field_or_one_each(counts):
    obj = collection(*((point(120 + k / 1000, 30), {"homes": c}) for k, c in enumerate(counts)))
    by_field = weights_from_geojson(obj, field="homes")
    assert by_field.total == pytest.approx(sum(counts))
    assert np.array_equal(by_field.value, np.array(counts, dtype=float))
    assert weights_from_geojson(obj).total == len(counts)


@settings(max_examples=40, deadline=None)
@given(
    figure=st.just(0.0) | st.floats(1e-3, 1e6),
    sizes=st.lists(st.floats(0.001, 0.01), min_size=1, max_size=4),
)
def test_a_multipolygons_figure_is_shared_by_its_parts_in_proportion_to_area(figure, sizes):
    parts = [box(120 + k / 10, 30, s, s) for k, s in enumerate(sizes)]
    obj = collection(({"type": "MultiPolygon", "coordinates": parts}, {"pop": figure}))
    got = weights_from_geojson(obj, field="pop")
    assert got.total == pytest.approx(figure)
    areas = shapely.area(got.geometry)
    if figure > 0:
        assert np.allclose(got.value / figure, areas / areas.sum())


def test_a_multipoint_shares_its_figure_and_lines_weigh_nothing():
    multi = {"type": "MultiPoint", "coordinates": [[120, 30], [120.001, 30], [120.002, 30]]}
    line = {"type": "LineString", "coordinates": [[120, 30], [121, 31]]}
    got = weights_from_geojson(collection((multi, {"n": 9}), (line, {"n": 5})), field="n")
    assert list(got.value) == [3.0, 3.0, 3.0] and got.total == 9
    with pytest.raises(InvalidInput, match="no points or polygons to weigh by"):
        weights_from_geojson(collection((line, {"n": 5})), field="n")


@pytest.mark.parametrize("value", [-1, "many", None, True, float("inf")])
def test_a_bad_figure_is_refused_naming_the_feature(value):
    obj = collection(
        (point(120, 30), {"name": "一号楼", "homes": 3}),
        (point(120, 30), {"name": "二号楼", "homes": value}),
    )
    with pytest.raises(InvalidInput, match=r'feature 1 \("二号楼", Point\): homes is'):
        weights_from_geojson(obj, field="homes", source="homes.geojson")


def test_a_field_the_file_lacks_lists_those_it_has():
    obj = collection((point(120, 30), {"homes": 3, "floors": 6}))
    with pytest.raises(InvalidInput, match=r"no field 'people' .* fields are: floors, homes"):
        weights_from_geojson(obj, field="people")


def test_numbers_written_as_text_are_read():
    obj = collection((point(120, 30), {"homes": " 12.5 "}))
    assert weights_from_geojson(obj, field="homes").total == 12.5


def test_gcj02_points_are_moved_to_wgs84():
    obj = collection((point(120.4, 36.1), {}))
    wgs = weights_from_geojson(obj).geometry[0]
    gcj = weights_from_geojson(obj, crs="gcj02").geometry[0]
    assert 0.001 < shapely.distance(wgs, gcj) < 0.01  # hundreds of metres


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.from_regex(r"[a-z]{1,8}", fullmatch=True),
    field=st.from_regex(r"[a-z_]{1,8}", fullmatch=True),
)
def test_a_spec_is_a_file_and_a_field(tmp_path, name, field):
    path = tmp_path / f"{name}.geojson"
    assert split_weight_spec(f"{path}:{field}") == (str(path), field)
    assert split_weight_spec(str(path)) == (str(path), None)
    assert weight_source_name(f"{path}:{field}") == f"{path}:{field}"
    path.write_text(json.dumps(collection((point(120, 30), {field: 4}))), encoding="utf-8")
    assert read_weights(f"{path}:{field}").total == 4
    assert read_weights(path).total == 1
    # a file whose name holds a colon is a file, not a file and a field
    odd = tmp_path / f"{name}:{field}"
    odd.write_text(path.read_text(), encoding="utf-8")
    assert split_weight_spec(str(odd)) == (str(odd), None) and read_weights(odd).total == 1
