"""The split-where expression: what it picks, and clear errors for bad syntax (never eval)."""

from __future__ import annotations

import pytest

from gridmgr.errors import InvalidInput
from gridmgr.rules.line_filter import check_fields, parse_line_filter

ROADS = [
    {"highway": "primary", "name": "Ring 4", "lanes": 6},
    {"highway": "secondary", "name": "Elm St", "lanes": "4"},
    {"highway": "residential", "name": None, "lanes": 2},
    {"highway": "footway"},
    {"waterway": "river", "name": "Qing"},
]


@pytest.mark.parametrize(
    ("expr", "picked"),
    [
        ("highway in ('primary','secondary','tertiary')", [0, 1]),
        ("highway = 'residential'", [2]),
        ('highway == "footway"', [3]),
        ("highway != 'footway'", [0, 1, 2, 4]),
        ("highway not in ('footway', 'residential')", [0, 1, 4]),
        ("lanes >= 4", [0, 1]),  # numbers compare as numbers, "4" included
        ("lanes < 4", [2]),
        ("not (lanes < 4)", [0, 1, 3, 4]),
        ("highway = 'primary' or waterway = 'river'", [0, 4]),
        ("highway in ('primary','secondary') and lanes > 4", [0]),
        ("NOT highway = 'primary' AND name != null", [1, 4]),
        ("name = null", [2, 3]),
        ("name = 'It''s'", []),
    ],
)
def test_expressions_pick_the_lines_they_say(expr, picked):
    f = parse_line_filter(expr)
    assert [i for i, p in enumerate(ROADS) if f.matches(p)] == picked


def test_the_fields_an_expression_reads():
    f = parse_line_filter("(highway = 'x' or name:en != 'y') and not lanes > 2")
    assert f.fields == {"highway", "name:en", "lanes"}


@pytest.mark.parametrize(
    ("expr", "where", "expected"),
    [
        ("highway in 'primary'", "character 12", "'('"),
        ("highway = ", "character 11", "a quoted value"),
        ("highway = 'a' and", "character 18", "a field name"),
        ("(highway = 'a'", "character 15", "')'"),
        ("highway 'a'", "character 9", "=, !="),
        ("highway = 'a' junk", "character 15", "'and', 'or'"),
        ("__import__('os').system('x')", "character 17", "a field name, a quoted value"),
        ("highway = 'a' ; drop", "character 15", "a field name, a quoted value"),
        ("highway = 'open", "character 11", "a field name, a quoted value"),
    ],
)
def test_bad_syntax_names_the_place_and_what_was_expected(expr, where, expected):
    with pytest.raises(InvalidInput) as err:
        parse_line_filter(expr)
    assert where in str(err.value) and expected in str(err.value), str(err.value)
    assert repr(expr) in str(err.value)


def test_an_unknown_field_is_named_with_the_fields_the_file_has():
    f = parse_line_filter("highway in ('primary') or speed > 60")
    with pytest.raises(InvalidInput) as err:
        check_fields(f, ["name", "speed", "angle"], "roads.geojson")
    text = str(err.value)
    assert "roads.geojson" in text and "'highway'" in text
    assert "angle, name, speed" in text
    check_fields(f, ["highway", "speed"], "roads.geojson")  # all there: no error
