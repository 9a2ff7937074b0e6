"""Static files under content-hashed URLs: every static URL a page references carries the hash of
the file it names and is cached for a year; a changed file gets a new URL; under a path prefix too."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from gridmgr.web import STATIC

from webtools import login, seed_park

IMMUTABLE = "public, max-age=31536000, immutable"
PAGES = [
    ("manager", "/areas/{slug}/map"),
    ("manager", "/areas/{slug}/staff"),
    ("manager", "/wardens"),
    ("manager", "/areas/{slug}/findings"),
    ("planner", "/areas/{slug}/plan"),
    ("warden1", "/me"),
    ("warden1", "/me/cells/{slug}/{code}"),
    (None, "/login"),
]


@pytest.fixture
def site(engine, tmp_path, app_factory):
    park = seed_park(engine, tmp_path)
    return app_factory(TILES_URL=""), park


def _client(app, who):
    client = app.test_client()
    if who:
        assert login(client, who).status_code in (302, 303)
    return client


def _static_refs(html: str, prefix: str = "") -> list[str]:
    return re.findall(rf'(?:src|href)="({prefix}/static/[^"]*)"', html)


def _get(client, url: str, **kw):
    resp = client.get(url, **kw)
    resp.get_data()
    resp.close()
    return resp


def _own_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


@pytest.mark.parametrize("prefix", ["", "/grid"])
def test_every_static_url_of_a_page_carries_its_files_hash_and_is_cached_for_a_year(site, prefix):
    app, park = site
    seen = set()
    for who, path in PAGES:
        client = _client(app, who)
        page = client.get(
            path.format(slug=park.slug, code=park.codes[0]), base_url=f"http://localhost{prefix}/"
        )
        assert page.status_code == 200, path
        refs = _static_refs(page.get_data(as_text=True), prefix)
        assert refs, path
        for ref in refs:
            url = urlsplit(ref.replace("&amp;", "&"))
            name = url.path.removeprefix(f"{prefix}/static/")
            assert parse_qs(url.query)["v"] == [_own_hash(STATIC / name)], ref
            asked = f"{url.path.removeprefix(prefix)}?{url.query}"
            got = _get(client, asked, base_url=f"http://localhost{prefix}/")
            assert got.status_code == 200, ref
            assert got.headers["Cache-Control"] == IMMUTABLE, ref
            assert got.get_data() == (STATIC / name).read_bytes(), ref
            seen.add(name)
    assert {"vendor/leaflet-1.9.4/leaflet.js", "vendor/leaflet-1.9.4/leaflet.css"} <= seen
    assert {"js/gridmgr-map.js", "js/gridmgr-basemaps.js", "css/gridmgr.css"} <= seen


def test_a_static_url_without_the_files_hash_is_not_cached_for_long(site):
    app, _ = site
    client = app.test_client()
    for query in ("", "?v=000000000000", "?v="):
        got = _get(client, f"/static/css/gridmgr.css{query}")
        assert got.status_code == 200
        assert "immutable" not in got.headers.get("Cache-Control", ""), query
        assert "max-age=31536000" not in got.headers.get("Cache-Control", ""), query


def test_a_changed_file_gets_a_new_url_and_the_old_one_is_no_longer_kept(site, tmp_path):
    app, _ = site
    static = tmp_path / "static"
    shutil.copytree(STATIC, static)
    app.static_folder = str(static)
    client = _client(app, "warden1")

    def ref_of(name: str) -> str:
        (ref,) = [r for r in _static_refs(client.get("/me").get_data(as_text=True)) if name in r]
        return ref

    old = ref_of("js/gridmgr-map.js")
    assert ref_of("js/gridmgr-map.js") == old  # the same file, the same URL
    js = static / "js" / "gridmgr-map.js"
    stamp = js.stat().st_mtime_ns
    js.write_bytes(js.read_bytes() + b"\n// changed\n")
    os.utime(js, ns=(stamp + 10**9, stamp + 10**9))
    new = ref_of("js/gridmgr-map.js")
    assert new != old and new.endswith(f"?v={_own_hash(js)}")
    assert _get(client, new).headers["Cache-Control"] == IMMUTABLE
    assert "immutable" not in _get(client, old).headers.get("Cache-Control", "")
    assert ref_of("css/map.css").endswith(f"?v={_own_hash(static / 'css' / 'map.css')}")
