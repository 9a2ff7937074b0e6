"""A round's position read from a JSON body or a page's form: WGS84 lon/lat with an optional accuracy,
absent when not sent, refused with a clear message when malformed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridmgr.errors import InvalidInput
from gridmgr.web.api.locations import form_location, location_of

lon = st.floats(-180, 180)
lat = st.floats(-90, 90)
accuracy = st.none() | st.floats(0, 2000)  # what rules.evidence accepts


@given(x=lon, y=lat, acc=accuracy)
def test_a_body_and_a_form_give_the_same_location(x, y, acc):
    body = {"lon": x, "lat": y} | ({} if acc is None else {"accuracy_m": acc})
    form = {"lon": repr(x), "lat": repr(y), "accuracy_m": "" if acc is None else repr(acc)}
    got = location_of(body)
    assert got == form_location(form)
    assert (got.lon, got.lat) == (x, y)


def test_nothing_sent_is_no_location():
    assert location_of(None) is None
    assert form_location({}) is None and form_location({"lon": " ", "lat": ""}) is None


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ([120, 36], "must be an object"),
        ({"lon": 120, "lat": 36, "alt": 5}, "unknown members alt"),
        ({"lon": 200, "lat": 36}, "lon"),
        ({"lat": 36}, "lon"),
    ],
)
def test_a_malformed_body_location_is_refused(value, words):
    with pytest.raises(InvalidInput, match=words):
        location_of(value)


@pytest.mark.parametrize(
    "form",
    [
        {"lon": "east", "lat": "36"},
        {"lon": "120", "lat": ""},
        {"lon": "120", "lat": "36", "accuracy_m": "good"},
    ],
)
def test_a_malformed_form_location_is_refused(form):
    with pytest.raises(InvalidInput):
        form_location(form)
