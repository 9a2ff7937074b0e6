"""gridmgr.web.maps.page: every page map is built one way, its URLs from the app (`url_for`), so the
service works under a path prefix (behind a proxy at /grid/) on the coverage, plan, staff and warden
pages alike, and the overview."""

from __future__ import annotations

import json
import re

import pytest

from webtools import login, seed_checkpoint, seed_park

PREFIX = "/grid"


@pytest.fixture
def site(engine, app_factory, tmp_path):
    seeded = seed_park(engine, tmp_path)
    app = app_factory(TILES_URL="")
    app.config["INLINE_CELLS_MAX"] = 10  # the coverage, plan and staff maps fetch their 30 cells
    return app, seeded


@pytest.mark.parametrize(
    ("username", "path", "fetched"),
    [
        ("manager", "/areas/{slug}/map", True),
        ("planner", "/areas/{slug}/plan", True),
        ("manager", "/areas/{slug}/staff", True),
        ("warden1", "/me", False),  # a warden's few cells are always in the page
        ("manager", "/areas/{slug}/overview", False),  # children's outlines are in the page
    ],
)
def test_a_page_map_under_a_path_prefix_asks_only_for_urls_under_it(site, username, path, fetched):
    app, seeded = site
    client = app.test_client()
    login(client, username)
    got = client.get(path.format(slug=seeded.slug), base_url=f"http://localhost{PREFIX}/")
    assert got.status_code == 200
    html = got.get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="(/[^"]*)"', html)
    leaflet = [a for a in assets if "leaflet" in a or "gridmgr-" in a]
    assert len(leaflet) >= 4, assets  # leaflet.js and .css, gridmgr-map.js, gridmgr-basemaps.js
    assert all(a.startswith(f"{PREFIX}/") for a in assets), assets
    urls = [json.loads(f'"{u}"') for u in re.findall(r'"url":"([^"]+)"', html)]
    assert len(urls) == fetched, urls
    assert all(u.startswith(f"{PREFIX}/api/v1/areas/{seeded.slug}/cells?") for u in urls), urls
    if fetched:  # and what the page fetches is there, for this user
        fetch = client.get(urls[0].removeprefix(PREFIX), base_url=f"http://localhost{PREFIX}/")
        assert fetch.status_code == 200 and fetch.get_json()


def test_the_coverage_maps_findings_popup_fetches_under_the_prefix(site):
    app, seeded = site
    client = app.test_client()
    login(client, "manager")
    html = client.get(f"/areas/{seeded.slug}/map", base_url=f"http://localhost{PREFIX}/").get_data(
        as_text=True
    )
    (finding,) = re.findall(r'"finding":"([^"]+)"', html)
    assert finding == f"{PREFIX}/api/v1/findings/"


def test_the_visitors_layer_and_the_gate_page_fetch_under_the_prefix(site, engine):
    app, seeded = site
    gate = seed_checkpoint(engine, seeded)["checkpoint_id"]
    base = f"http://localhost{PREFIX}/"
    manager = app.test_client()
    login(manager, "manager")
    html = manager.get(f"/areas/{seeded.slug}/map", base_url=base).get_data(as_text=True)
    area_api = f"{PREFIX}/api/v1/areas/{seeded.slug}"
    assert re.findall(r'"(occupancyUrl|curveUrl)":\s*"([^"]+)"', html) == [
        ("occupancyUrl", f"{area_api}/occupancy"),
        ("curveUrl", f"{area_api}/occupancy/curve"),
    ]
    warden = app.test_client()
    login(warden, "warden1")
    page = warden.get(f"/areas/{seeded.slug}/checkpoints/{gate}/gate", base_url=base)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert re.findall(r'"(occupancyUrl|countsUrl)":\s*"([^"]+)"', html) == [
        ("occupancyUrl", f"{area_api}/occupancy"),
        ("countsUrl", f"{area_api}/checkpoints/{gate}/counts"),
    ]
    assets = re.findall(r'(?:src|href)="(/[^"]*)"', html)
    assert assets and all(a.startswith(f"{PREFIX}/") for a in assets), assets


def test_a_tiled_coverage_map_under_a_path_prefix_asks_for_tiles_under_it(site):
    """Issue 19: above TILES_ABOVE cells the map loads Leaflet.VectorGrid and the plan's vector tiles,
    both by URLs under the prefix, and the tiles it names are there for this user."""
    app, seeded = site
    app.config["TILES_ABOVE"] = 10
    client = app.test_client()
    login(client, "manager")
    html = client.get(
        f"/areas/{seeded.slug}/map?at=2031-01-02T10:00", base_url=f"http://localhost{PREFIX}/"
    ).get_data(as_text=True)
    scripts = re.findall(r'src="(/[^"]*)"', html)
    grid = [s for s in scripts if "vectorgrid" in s.lower()]
    assert len(grid) == 1 and grid[0].startswith(f"{PREFIX}/static/vendor/"), scripts
    urls = [json.loads(f'"{u}"') for u in re.findall(r'"url":"([^"]+)"', html)]
    assert urls == [
        f"{PREFIX}/api/v1/areas/{seeded.slug}/tiles/{{z}}/{{x}}/{{y}}.mvt?at=2031-01-02T10:00"
    ]
    tile = urls[0].removeprefix(PREFIX).format(z=14, x=13674, y=6427)
    got = client.get(tile, base_url=f"http://localhost{PREFIX}/")
    assert got.status_code == 200 and got.mimetype == "application/vnd.mapbox-vector-tile"
    # below the threshold nothing changes: the compact cells, no VectorGrid
    app.config["TILES_ABOVE"] = 5000
    html = client.get(f"/areas/{seeded.slug}/map", base_url=f"http://localhost{PREFIX}/").get_data(
        as_text=True
    )
    assert "vectorgrid" not in html.lower() and "/cells?" in html
