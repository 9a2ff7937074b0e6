"""Text no database can store (a NUL) is refused with a 422 naming where it was, in the URL, a form
field or the Idempotency-Key, before any page or endpoint runs; on both databases."""

from __future__ import annotations

import pytest
from markupsafe import escape

from webtools import csrf_of, login


@pytest.mark.parametrize(
    ("method", "url", "data", "headers", "words"),
    [
        ("get", "/areas?kind=%00", None, {}, "the URL holds a NUL character"),
        ("get", "/areas?k%00=park", None, {}, "the URL holds a NUL character"),
        ("get", "/areas/a%00b/map", None, {}, "the URL holds a NUL character"),
        ("post", "/areas/new", {"na\x00me": "x"}, {}, "the form field 'na?me' holds a NUL"),
        ("post", "/areas/new", {"name": "a\x00b"}, {}, "the form field 'name' holds a NUL"),
        (
            "get",
            "/areas",
            None,
            {"Idempotency-Key": "k\x00"},
            "the Idempotency-Key header holds a NUL",
        ),
    ],
)
def test_a_nul_is_refused_before_anything_runs(site, method, url, data, headers, words):
    app, _ = site
    client = app.test_client()
    login(client, "manager")
    if data is not None:
        data = {**data, "csrf_token": csrf_of(client, "/areas/new")}
    got = getattr(client, method)(url, data=data, headers=headers)
    body = got.get_data(as_text=True)
    assert got.status_code == 422, body[:300]
    assert str(escape(words)) in body


def test_ordinary_text_passes(site):
    app, seeded = site
    client = app.test_client()
    login(client, "manager")
    assert client.get("/areas?kind=park", headers={"Idempotency-Key": "k-1"}).status_code == 200
    assert client.get(f"/areas/{seeded.slug}/map").status_code == 200
