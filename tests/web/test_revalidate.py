"""ETag / If-None-Match on the data answers: an unchanged answer is a 304 without body, and the
ETag changes with what the answer depends on (a warden assigned, a round logged, a re-grid)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webtools import logged_in, seed_finding, seed_park

API = "/api/v1"


@pytest.fixture
def site(engine, tmp_path, app_factory):
    """Logged-in test clients (manager, warden1) on the seeded demo park with one finding."""
    park = seed_park(engine, tmp_path)
    seed_finding(engine, park)
    app = app_factory()
    return logged_in(app, "manager", "warden1"), park


def _urls(slug: str) -> list[tuple[str, str]]:
    return [
        ("manager", f"{API}/areas/{slug}/cells"),
        ("manager", f"{API}/areas/{slug}/cells?format=compact"),
        ("manager", f"{API}/areas/{slug}/cells?format=compact&fields=status,wardens&precision=6"),
        ("manager", f"{API}/areas/{slug}/coverage"),
        ("manager", f"{API}/areas/{slug}/coverage?at=2030-01-02T09:00"),
        ("manager", f"{API}/areas/{slug}/rollup"),
        ("manager", f"{API}/areas/{slug}/ledger"),
        ("manager", f"{API}/areas/{slug}/findings"),
        ("manager", f"/areas/{slug}/findings/export.csv"),
        ("warden1", f"{API}/me/cells"),
    ]


def _get(client, url: str, **headers):
    resp = client.get(url, headers=headers)
    resp.get_data()
    resp.close()
    return resp


@pytest.mark.parametrize("encoding", ["identity", "gzip", "br"])
def test_an_unchanged_answer_is_not_sent_twice(site, encoding):
    clients, park = site
    for who, url in _urls(park.slug):
        first = _get(clients[who], url, **{"Accept-Encoding": encoding})
        assert first.status_code == 200, url
        assert first.headers["Cache-Control"] == "private, no-cache", url
        tag = first.headers["ETag"]
        again = _get(clients[who], url, **{"Accept-Encoding": encoding, "If-None-Match": tag})
        assert again.status_code == 304, url
        assert again.get_data() == b"", url
        assert again.headers["ETag"] == tag, url
        other = _get(clients[who], url, **{"Accept-Encoding": encoding, "If-None-Match": '"x"'})
        assert other.status_code == 200 and len(other.get_data()) > 0, url


def test_another_query_is_another_answer(site):
    clients, park = site
    tags = {
        _get(clients["manager"], url).headers["ETag"]
        for who, url in _urls(park.slug)
        if who == "manager"
    }
    assert len(tags) == len([u for w, u in _urls(park.slug) if w == "manager"])


def _tags(clients, slug: str) -> dict[str, str]:
    return {url: _get(clients[who], url).headers["ETag"] for who, url in _urls(slug)}


def test_the_etag_follows_every_change_the_answer_depends_on(site, engine):
    from gridmgr import services
    from gridmgr.services.rounds import record_round

    clients, park = site
    assert _tags(clients, park.slug) == _tags(clients, park.slug)  # the same when nothing changed
    depends = {
        "a warden assigned": (
            lambda: services.assign(engine, park.slug, [park.codes[5]], "warden1"),
            ["cells?format=compact&fields=status,wardens", "/cells", "/me/cells"],
        ),
        "a round logged": (
            lambda: record_round(engine, park.slug, park.codes[0], "warden1"),
            ["/coverage", "/me/cells"],
        ),
        "a finding recorded": (
            lambda: seed_finding(engine, park),
            ["/ledger", "/findings", "export.csv"],
        ),
        "a re-grid": (
            lambda: services.grid(engine, park.slug, count=20),
            ["/cells", "cells?format=compact", "/coverage", "/rollup"],
        ),
    }
    for change, (make, changed) in depends.items():
        before = _tags(clients, park.slug)
        make()
        after = _tags(clients, park.slug)
        for url, tag in before.items():
            if any(part in url for part in changed) and "at=2030" not in url:
                assert after[url] != tag, (change, url)
                stale = _get(clients["warden1" if "/me/" in url else "manager"], url,
                             **{"If-None-Match": tag})  # fmt: skip
                assert stale.status_code == 200 and stale.get_data(), (change, url)


def test_the_api_documents_the_304_of_every_answer_with_an_etag(site):
    clients, park = site
    document = _get(clients["manager"], f"{API}/openapi.json").get_json()
    for _, url in _urls(park.slug):
        if not url.startswith(API):
            continue
        path = url.removeprefix(API).split("?")[0].replace(park.slug, "{slug}")
        assert "304" in document["paths"][path]["get"]["responses"], path


KEYS = st.text(min_size=1, max_size=6).filter(lambda k: k != "at")
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=8,
)


@given(rest=st.dictionaries(KEYS, VALUES, max_size=5), at1=st.text(), at2=st.text())
def test_a_json_answer_with_a_moment_reads_back_whole_and_its_etag_ignores_the_moment(
    rest, at1, at2
):
    from flask import Flask

    from gridmgr.web.revalidate import revalidated_json

    app = Flask("t")
    tags = []
    for at in (at1, at2):
        with app.test_request_context("/x"):
            resp = revalidated_json({**rest, "at": at}, moment_key="at")
            assert json.loads(resp.get_data()) == {**rest, "at": at}
            tags.append(resp.get_etag())
    assert tags[0] == tags[1] and tags[0][1] is True  # weak, the same whatever the moment
    with app.test_request_context("/x"):
        other = revalidated_json({**rest, "at": at1, "more": 1}, moment_key="at").get_etag()
    assert other != tags[0]
    with app.test_request_context("/x?at=2030-01-02"):  # a moment asked for: part of the answer
        asked = revalidated_json({**rest, "at": at1}, moment_key="at").get_etag()
    assert asked[1] is False
