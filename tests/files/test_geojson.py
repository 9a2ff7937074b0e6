"""The GeoJSON parser: text from bytes in the encodings tools write, JSON parsed with the fault's line
and column, features and geometries read exactly, each fault named by feature and position."""

from __future__ import annotations

import contextlib
import json

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmgr.errors import GridmgrError, InvalidInput, LimitExceeded
from gridmgr.files.geojson import (
    MAX_NESTING,
    RawFeature,
    check_lonlat,
    check_nesting,
    features_from_json,
    fmt_position,
    geometry_from_json,
    parse_text,
    text_from_bytes,
)

lon = st.floats(-180, 180, allow_nan=False)
lat = st.floats(-90, 90, allow_nan=False)
SQUARE = [[[120.0, 30.0], [120.01, 30.0], [120.01, 30.01], [120.0, 30.01], [120.0, 30.0]]]


@settings(max_examples=60, deadline=None)
@given(name=st.text(st.characters(codec="gb18030", exclude_characters='"\\'), max_size=20))
def test_text_reads_back_in_every_encoding_tools_write(name):
    text = json.dumps({"type": "Feature", "properties": {"name": name}}, ensure_ascii=False)
    for data in (
        text.encode("utf-8"),
        b"\xef\xbb\xbf" + text.encode("utf-8"),
        text.encode("utf-16"),
    ):
        assert text_from_bytes(data, "f.geojson") == text
    gb = text.encode("gb18030")
    try:
        gb.decode("utf-8")
    except UnicodeDecodeError:  # what UTF-8 cannot read is taken as GB18030
        assert text_from_bytes(gb, "f.geojson") == text


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"   \n\t ", "only whitespace"),
        (b"name,phone\n", "not GeoJSON: it starts with 'name,phone'"),
        (b"\x00\x01\x02binary", "binary data"),
    ],
)
def test_text_that_is_not_geojson_is_refused_by_name(data, words):
    with pytest.raises(InvalidInput, match=words) as info:
        text_from_bytes(data, "upload.geojson")
    assert str(info.value).startswith("upload.geojson: ")


@given(depth=st.integers(1, 3 * MAX_NESTING), strings=st.booleans())
def test_nesting_is_refused_only_past_the_limit(depth, strings):
    """Brackets inside strings do not count; real nesting past MAX_NESTING is refused."""
    text = "[" * depth + "]" * depth
    if strings:
        text = '["' + "[" * 200 + '\\"{", ' + text + "]"  # brackets in a string do not nest
        depth += 1
    if depth <= MAX_NESTING:
        check_nesting(text, "f.geojson")
        assert parse_text(text, "f.geojson") == json.loads(text)
    else:
        with pytest.raises(LimitExceeded, match=f"more than {MAX_NESTING} levels"):
            parse_text(text, "f.geojson")


def test_parse_errors_give_line_and_column_and_refuse_nan():
    with pytest.raises(InvalidInput, match="line 3, column 5") as info:
        parse_text('{\n  "type": "Point",\n    oops}', "park.geojson")
    assert str(info.value).startswith("park.geojson: not valid JSON")
    for constant in ("NaN", "Infinity", "-Infinity"):
        with pytest.raises(InvalidInput, match=f"contains {constant}"):
            parse_text(f'{{"coordinates": [{constant}, 1]}}', "park.geojson")


@settings(max_examples=80, deadline=None)
@given(ring=st.lists(st.tuples(lon, lat), min_size=3, max_size=10), hole=st.booleans())
def test_geometries_read_their_positions_exactly(ring, hole):
    closed = [list(p) for p in [*ring, ring[0]]]
    obj = {"type": "Polygon", "coordinates": [closed, closed] if hole else [closed]}
    g = geometry_from_json(obj, "f", depth=0)
    assert np.array_equal(shapely.get_coordinates(g.exterior), np.array(closed))
    assert len(g.interiors) == (1 if hole else 0)
    line = geometry_from_json({"type": "LineString", "coordinates": closed}, "f", depth=0)
    assert np.array_equal(shapely.get_coordinates(line), np.array(closed))
    heights = [[*p, 12.5] for p in closed]  # heights are dropped
    line3d = geometry_from_json({"type": "LineString", "coordinates": heights}, "f", depth=0)
    assert not line3d.has_z and line3d.equals_exact(line, 0)


@pytest.mark.parametrize(
    ("geometry", "words"),
    [
        ({"type": "Polygon", "coordinates": [SQUARE[0][:-1]]}, "ring 0 is not closed"),
        ({"type": "Polygon", "coordinates": [SQUARE[0][:2] + SQUARE[0][:1]]}, "ring 0 has 3 positions"),
        ({"type": "Polygon", "coordinates": [[[200.0, 0.0]] * 4]}, "position 0: [200.0, 0.0] is outside"),
        ({"type": "LineString", "coordinates": [[1, 2]]}, "has 1 position; a line needs at least 2"),
        ({"type": "Point"}, 'the Point has no "coordinates"'),
        ({"type": "Point", "coordinates": ["1.5", 2]}, "a string"),
        ({"type": "Point", "coordinates": [True, 2]}, "boolean"),
        ({"type": "MultiPolygon", "coordinates": "x"}, "must be an array, not str"),
        ({"type": "GeometryCollection", "geometries": [{"type": "Circle"}]}, "member 0"),
    ],
)  # fmt: skip
def test_bad_geometries_are_refused_saying_where(geometry, words):
    with pytest.raises(InvalidInput) as info:
        geometry_from_json(geometry, "park.geojson: feature 2 (Polygon)", depth=0)
    assert words in str(info.value)
    assert str(info.value).startswith("park.geojson: feature 2 (Polygon): ")


def test_every_container_gives_the_same_features():
    geometry = {"type": "Polygon", "coordinates": SQUARE}
    feature = {"type": "Feature", "id": 7, "properties": {"名称": "儿童公园"}, "geometry": geometry}
    forms = [
        {"type": "FeatureCollection", "features": [feature]},
        feature,
        [feature],
    ]
    for form in forms:
        (got,) = features_from_json(form, "f")
        assert got.name == "儿童公园" and got.fid == "7" and got.type_name == "Polygon"
        assert got.matches("7") and got.matches("儿童公园") and not got.matches("8")
        assert got.label() == 'feature 0 ("儿童公园", Polygon)'
        assert shapely.equals(got.geometry, shapely.Polygon(SQUARE[0]))
    (bare,) = features_from_json(geometry, "f")
    assert bare.name is None and bare.label() == "feature 0 (Polygon)"
    (empty,) = features_from_json({"type": "Feature", "geometry": None}, "f")
    assert empty.geometry is None and empty == RawFeature(index=0)


@pytest.mark.parametrize(
    ("obj", "words"),
    [
        ({"type": "FeatureCollection", "features": []}, "holds no features"),
        ({"type": "FeatureCollection"}, 'no "features" array'),
        ({"features": []}, 'has no "type"'),
        ({"type": "Topology"}, "unknown top-level type 'Topology'"),
        ("text", "the top level is a str"),
        ([1], "feature 0 is a int"),
        ([{"type": "Feature", "geometry": {"type": "Blob"}}], "unknown geometry type 'Blob'"),
    ],
)
def test_containers_that_are_not_geojson_are_refused(obj, words):
    with pytest.raises(InvalidInput, match=words.replace("(", r"\(").replace(")", r"\)")):
        features_from_json(obj, "f")


@given(xy=st.lists(st.tuples(st.floats(allow_nan=True), st.floats(allow_nan=True)), min_size=1))
def test_check_lonlat_refuses_exactly_what_is_off_the_globe(xy):
    arr = np.array(xy, dtype=float)
    fine = (
        np.isfinite(arr).all()
        and (np.abs(arr[:, 0]) <= 180).all()
        and (np.abs(arr[:, 1]) <= 90).all()
    )
    try:
        check_lonlat(arr, "f", "")
    except InvalidInput as exc:
        assert not fine
        k = int(str(exc).split("position ")[1].split(":")[0])
        assert fmt_position(arr[k]) in str(exc)
    else:
        assert fine


@given(
    x=st.floats(allow_nan=False, allow_infinity=False),
    y=st.floats(allow_nan=False, allow_infinity=False),
)
def test_fmt_position_keeps_every_digit(x, y):
    assert json.loads(fmt_position([x, y])) == [x, y]


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=200))
def test_any_text_parses_or_raises_a_gridmgr_error(text):
    with contextlib.suppress(GridmgrError):
        features_from_json(parse_text(text, "f"), "f")
