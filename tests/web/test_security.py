"""Security headers: a Content-Security-Policy that lets only the server's own scripts run (inline
ones with the response's nonce) and images come only from it and the configured tile servers."""

from __future__ import annotations

import re

import pytest

from webtools import (
    api_token,
    app_on,
    browser_login,
    chromium,
    csrf_of,
    live_server,
    login,
    seed_park,
    sqlite_database,
)

SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)


@pytest.fixture
def park(tmp_path):
    """A seeded park on SQLite and a function making apps on it with extra configuration."""
    url, engine = sqlite_database(tmp_path)
    seeded = seed_park(engine, tmp_path)
    apps = []

    def make(**config):
        apps.append(app_on(url, tmp_path, **config))
        return apps[-1]

    yield make, seeded
    for app in apps:
        app.extensions["gridmgr.engine"].dispose()
    engine.dispose()


def _directives(policy: str) -> dict[str, list[str]]:
    out = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def _pages(slug: str, code: str) -> dict[str, list[str]]:
    return {
        None: ["/login", "/no/such/page"],
        "manager": ["/areas", f"/areas/{slug}/map", f"/areas/{slug}/staff", "/wardens"],
        "planner": [f"/areas/{slug}/plan", "/areas/new"],
        "warden1": ["/me", f"/me/cells/{slug}/{code}"],
    }


def test_every_page_allows_only_its_own_scripts_and_marks_its_inline_ones(park):
    make, seeded = park
    app = make(TILES_URL="")
    nonces = set()
    for username, paths in _pages(seeded.slug, seeded.codes[0]).items():
        client = app.test_client()
        if username:
            login(client, username)
        for path in paths:
            got = client.get(path)
            assert got.status_code in (200, 404), (path, got.status_code)
            policy = _directives(got.headers["Content-Security-Policy"])
            scripts = policy["script-src"]
            assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, path
            assert "*" not in scripts and not any(s.startswith("http") for s in scripts), path
            assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
            assert policy["connect-src"] == ["'self'"], path
            assert got.headers["X-Content-Type-Options"] == "nosniff"
            assert got.headers["X-Frame-Options"] == "SAMEORIGIN"
            html = got.get_data(as_text=True)
            nonce = [s[len("'nonce-") : -1] for s in scripts if s.startswith("'nonce-")]
            for attrs in SCRIPT_TAG.findall(html):
                if "src=" in attrs:
                    src = re.search(r'src="([^"]*)"', attrs).group(1)
                    assert src.startswith("/static/"), (path, src)  # the server's own files only
                else:
                    assert nonce and f'nonce="{nonce[0]}"' in attrs, (path, attrs)
            nonces.update(nonce)
    assert len(nonces) >= 4  # the map pages each had an inline script, each its own nonce


def test_the_api_gets_the_policy_too(park):
    make, _ = park
    client = make(TILES_URL="").test_client()
    got = client.get("/api/v1/areas")
    assert got.status_code == 401
    assert "script-src 'self';" in got.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("config", "allowed", "refused"),
    [
        ({"TILES_URL": ""}, [], ["https://tile.openstreetmap.org"]),
        (  # the default switch: OpenStreetMap and AMap (Tianditu needs a key)
            {},
            ["https://tile.openstreetmap.org", "https://*.is.autonavi.com"],
            ["https://*.tianditu.gov.cn"],
        ),
        (
            {"BASEMAPS": "tianditu amap none", "TIANDITU_KEY": "k"},
            ["https://*.tianditu.gov.cn", "https://*.is.autonavi.com"],
            ["https://tile.openstreetmap.org"],
        ),
        ({"TILES_URL": "http://10.1.2.3:8080/tiles/{z}/{x}/{y}.png"}, ["http://10.1.2.3:8080"], []),
        ({"TILES_URL": "/tiles/{z}/{x}/{y}.png"}, [], ["https:", "http:"]),
    ],
)
def test_images_may_come_only_from_the_configured_tile_servers(park, config, allowed, refused):
    make, seeded = park
    client = make(**config).test_client()
    login(client, "manager")
    got = client.get(f"/areas/{seeded.slug}/map")
    assert got.status_code == 200
    images = _directives(got.headers["Content-Security-Policy"])["img-src"]
    assert images[:2] == ["'self'", "data:"]
    assert images[2:] == allowed
    for source in refused:
        assert source not in images


def test_the_browser_runs_the_map_and_refuses_a_script_without_the_nonce(park):
    make, seeded = park
    app = make(TILES_URL="")
    with live_server(app) as base, chromium(base, viewport={"width": 1280, "height": 800}) as page:
        browser_login(page, base, "manager")
        page.goto(f"{base}/areas/{seeded.slug}/map")
        page.wait_for_selector("path.gm-feature[data-id]")  # the nonce'd map script ran
        assert page.locator("path.gm-feature[data-id]").count() == len(seeded.codes)
        # what an injection would do: add an inline script, and an inline event handler
        page.csp_expected = 2
        page.evaluate(
            """() => {
                const s = document.createElement('script');
                s.textContent = 'window.injected = 1';
                document.body.appendChild(s);
                const img = document.createElement('img');
                img.setAttribute('onerror', 'window.injected = 2');
                img.src = '/static/none.png';
                document.body.appendChild(img);
            }"""
        )
        page.wait_for_function("() => document.querySelector('img[onerror]').complete")
        page.wait_for_timeout(200)  # let the console report reach the test
        assert page.evaluate("window.injected") is None
        assert len(page.csp_blocked) == 2


def test_large_uploads_are_processed_one_at_a_time(park):
    make, _ = park
    app = make(TILES_URL="", LARGE_UPLOAD_MB=1)
    client = app.test_client()
    headers = api_token(client, "planner")
    big = b'{"type": "FeatureCollection", "features": [' + b" " * (2 * 1024 * 1024) + b"]}"

    def post_area():
        return client.post(
            "/api/v1/areas?name=Big", data=big, headers=headers, content_type="application/json"
        )

    # one after the other, each large body has its turn: the slot is given back even on an error
    for _ in range(2):
        got = post_area()
        assert got.status_code == 422, got.get_data(as_text=True)
    gate = app.extensions["gridmgr.upload_gate"]
    held = gate.enter()  # another large upload is being processed
    try:
        busy = post_area()
        assert busy.status_code == 429 and busy.headers["Retry-After"] == "30"
        assert busy.get_json()["error"]["code"] == "rate_limited"
        assert "another large upload" in busy.get_json()["error"]["message"]
        small = client.get("/api/v1/areas", headers=headers)  # small requests go on meanwhile
        assert small.status_code == 200
        login(client, "planner")
        page = client.post(
            "/areas/new",
            data={"csrf_token": csrf_of(client, "/areas/new"), "name": "x" * len(big)},
        )
        assert page.status_code == 429 and "another large upload" in page.get_data(as_text=True)
    finally:
        gate.leave(held)
    assert post_area().status_code == 422
