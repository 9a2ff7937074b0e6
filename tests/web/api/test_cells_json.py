"""The cells' JSON pieces: codes as one prefix and numbers where they allow it (decoding back to the
same codes), weights rounded with None where not weighed, field lists and precision checked."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridmgr.errors import InvalidInput
from gridmgr.web.api.cells_json import (
    PRECISION_RANGE,
    cell_fields,
    check_precision,
    code_column,
    weight_column,
)


def decoded(column) -> list[str]:
    """The codes a compact column stands for (as the map's JavaScript decodes it)."""
    if isinstance(column, list):
        return column
    return [column["prefix"] + str(n).zfill(column["width"]) for n in column["numbers"]]


def test_compact_codes_fall_back_to_strings_when_they_are_not_a_prefix_and_a_number():
    assert code_column(pd.Series(["A-01", "A-02", "A-10"])) == {
        "prefix": "A-",
        "width": 2,
        "numbers": [1, 2, 10],
    }
    assert code_column(pd.Series(["A-9", "A-10"])) == {
        "prefix": "A-",
        "width": 0,
        "numbers": [9, 10],
    }
    assert code_column(pd.Series(["A-09", "A-100"])) == ["A-09", "A-100"]
    assert code_column(pd.Series(["EAST", "WEST-2"])) == ["EAST", "WEST-2"]
    assert code_column(pd.Series(["7"])) == {"prefix": "", "width": 1, "numbers": [7]}


@given(
    prefix=st.from_regex(r"([A-Z]{1,6}-?)?", fullmatch=True),
    numbers=st.lists(st.integers(0, 10**9), min_size=1, max_size=30),
    width=st.integers(0, 10),
)
def test_codes_decode_back_to_themselves(prefix, numbers, width):
    codes = [f"{prefix}{n:0{width}d}" if width else f"{prefix}{n}" for n in numbers]
    column = code_column(pd.Series(codes))
    assert decoded(column) == codes


@given(codes=st.lists(st.text(max_size=8), max_size=20))
def test_any_codes_decode_back_to_themselves(codes):
    assert decoded(code_column(pd.Series(codes, dtype=object))) == codes


@given(weights=st.lists(st.none() | st.floats(0, 1e9), max_size=20))
def test_weights_are_rounded_and_missing_ones_are_none(weights):
    got = weight_column(pd.Series(weights, dtype=float))
    assert len(got) == len(weights)
    for w, g in zip(weights, got, strict=True):
        if w is None or math.isnan(w):
            assert g is None
        else:
            assert g == round(w, 3)


def test_fields_and_precision_are_checked():
    every = cell_fields(None)
    assert "code" in every and cell_fields(f"{every[-1]}, code,code") == (every[-1], "code")
    with pytest.raises(InvalidInput, match="unknown field 'nonsense'"):
        cell_fields("code,nonsense")
    with pytest.raises(InvalidInput, match="name at least one"):
        cell_fields(" , ")
    lo, hi = PRECISION_RANGE
    for good in range(lo, hi + 1):
        check_precision(good)
    for bad in (lo - 1, hi + 1, True, 6.0, "6"):
        with pytest.raises(InvalidInput, match="precision must be a whole number"):
            check_precision(bad)
