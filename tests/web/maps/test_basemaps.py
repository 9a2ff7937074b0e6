"""Base maps: the catalogue from config, the layers a map carries, the GCJ-02 shift in the browser (the
same as gridmgr/datum.py), and pages that ask nothing of other servers."""

from __future__ import annotations

import base64
import json
import math

import numpy as np
import pytest
import shapely

from gridmgr.errors import InvalidInput
from gridmgr.web.maps import basemaps
from gridmgr.web.maps import layers as maps

from conftest import ROOT
from webtools import app_on, browser_login, chromium, live_server, seed_park, sqlite_database

AREA = shapely.box(120.46, 36.10, 120.47, 36.11)
BASEMAPS_JS = ROOT / "gridmgr" / "web" / "static" / "js" / "gridmgr-basemaps.js"
PNG = base64.b64decode(  # a 1x1 transparent PNG, the test servers' every tile
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def _keys(config: dict, env: dict | None = None) -> list[str]:
    return [b.key for b in basemaps.from_config(config, env=env or {})]


# --- the catalogue -----------------------------------------------------------------------------


def test_default_catalogue_offers_osm_amap_and_none():
    assert _keys({"TILES_URL": basemaps.OSM_TILES}) == ["osm", "amap", "none"]
    assert _keys({}) == ["none"]  # TILES_URL "" (or unset) without BASEMAPS: no base map at all


def test_tianditu_only_with_a_key():
    order = {"BASEMAPS": ["osm", "tianditu", "amap", "xyz", "none"]}
    assert "tianditu_vec" not in _keys(order)
    keyed = basemaps.from_config({**order, "TIANDITU_KEY": "k&y"}, env={})
    assert [b.key for b in keyed] == ["osm", "tianditu_vec", "tianditu_img", "amap", "none"]
    vec, img = keyed[1], keyed[2]
    assert len(vec.tiles) == 2 and len(img.tiles) == 2  # each with its annotation on top
    assert "LAYER=vec" in vec.tiles[0].url and "LAYER=cva" in vec.tiles[1].url
    assert "LAYER=img" in img.tiles[0].url and "LAYER=cia" in img.tiles[1].url
    assert all(t.url.endswith("tk=k%26y") for t in vec.tiles + img.tiles)
    assert vec.datum == img.datum == "wgs84"  # CGCS2000: no shift
    assert _keys({"TIANDITU_KEY": "k", "BASEMAPS": "tianditu_img, none"}) == [
        "tianditu_img",
        "none",
    ]


def test_xyz_only_with_a_url_and_none_always():
    order = {"BASEMAPS": ["xyz", "osm"]}
    assert _keys({**order, "TILES_URL": ""}) == ["osm", "none"]
    assert _keys({**order, "TILES_URL": basemaps.OSM_TILES}) == ["osm", "none"]
    local = "http://tiles.intranet/{z}/{x}/{y}.png"
    got = basemaps.from_config(
        {**order, "TILES_URL": local, "TILES_NAME": "内网底图", "TILES_ATTRIBUTION": "© Us"}, env={}
    )
    assert [b.key for b in got] == ["xyz", "osm", "none"]
    assert got[0].name == "内网底图" and got[0].tiles[0].url == local
    assert got[0].tiles[0].attribution == "© Us"
    # without BASEMAPS a server of one's own is the only base map (an intranet asks nobody else)
    assert _keys({"TILES_URL": local}) == ["xyz", "none"]
    assert _keys({"BASEMAPS": ["none"]}) == ["none"]


def test_default_order_urls_and_environment():
    config = {"TILES_URL": basemaps.OSM_TILES, "DEFAULT_BASEMAP": "amap"}
    assert _keys(config) == ["amap", "osm", "none"]
    assert _keys({**config, "DEFAULT_BASEMAP": "none"}) == ["none", "osm", "amap"]
    own = {"osm": "/t/osm/{z}/{x}/{y}.png", "amap": "/t/amap/{z}/{x}/{y}.png"}
    got = basemaps.from_config({**config, "BASEMAP_URLS": own}, env={})
    assert {b.key: b.tiles[0].url for b in got if b.tiles} == own
    env = {"GRIDMGR_BASEMAPS": "amap,osm", "GRIDMGR_TIANDITU_KEY": "k"}
    assert _keys({"TILES_URL": basemaps.OSM_TILES}, env=env) == ["amap", "osm", "none"]
    with pytest.raises(InvalidInput, match="unknown base map 'bing'"):
        _keys({"BASEMAPS": ["osm", "bing"]})


def _setup_specs(script: str) -> list[dict]:
    start = script.index("GridmgrBasemaps.setup(")
    call = script[start : script.index(");\n", start)]
    specs, _end = json.JSONDecoder().raw_decode(call[call.index(", ") + 2 :])  # then the options
    return specs


def test_a_map_carries_the_configured_base_maps_and_no_others():
    chosen = basemaps.from_config(
        {
            "BASEMAPS": ["amap", "tianditu", "osm", "xyz"],
            "TIANDITU_KEY": "abc",
            "TILES_URL": "https://tiles.intranet/{z}/{x}/{y}.png",
            "TILES_NAME": "<b>Ours</b>",
        },
        env={},
    )
    m = maps.base_map(AREA, basemaps=chosen, name="Park")
    folium_control = __import__("folium").LayerControl()
    folium_control.add_to(m)
    script = maps.map_parts(m)["script"]
    assert script.count("GridmgrBasemaps.setup(") == 1
    specs = _setup_specs(script)
    assert [s["key"] for s in specs] == [
        "amap", "tianditu_vec", "tianditu_img", "osm", "xyz", "none"
    ]  # fmt: skip
    assert [s["datum"] for s in specs] == ["gcj02"] + ["wgs84"] * 5
    assert specs[4]["name"] == "&lt;b&gt;Ours&lt;/b&gt;"  # the layer control shows names as HTML
    urls = [t["url"] for s in specs for t in s["tiles"]]
    assert len(urls) == 1 + 4 + 1 + 1
    assert "L.tileLayer" not in script  # Folium adds no tile layer of its own
    hosts = {u.split("/")[2] for u in urls}
    assert hosts == {
        "webrd0{s}.is.autonavi.com",
        "t{s}.tianditu.gov.cn",
        "tile.openstreetmap.org",
        "tiles.intranet",
    }
    # only the old arguments: one base map of that URL, or an empty one
    old = _setup_specs(
        maps.map_parts(maps.base_map(AREA, tiles_url="/t/{z}/{x}/{y}.png"))["script"]
    )
    assert [(s["key"], [t["url"] for t in s["tiles"]]) for s in old] == [
        ("xyz", ["/t/{z}/{x}/{y}.png"])
    ]
    none = _setup_specs(maps.map_parts(maps.base_map(AREA, tiles_url=""))["script"])
    assert [s["tiles"] for s in none] == [[]]


# --- GCJ-02: the browser's shift lands Daoli on its GCJ-02 source --------------------------------


def _metres(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Haversine distances in metres."""
    lon1, lat1, lon2, lat2 = (
        np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2)
    )
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371008.8 * np.arcsin(np.sqrt(a))


def _daoli(shared_geodata):
    from gridmgr.files import areas as geo

    path = shared_geodata / "admin" / "harbin_daoli_230102.json"
    source = shapely.from_geojson(path.read_text(encoding="utf-8"))  # GCJ-02 as published
    source_xy = shapely.get_coordinates(source)
    wgs84 = geo.read_area(path, crs="gcj02").geometry
    return source_xy, wgs84


def test_daoli_shown_on_amap_lands_on_its_gcj02_source(shared_geodata):
    from gridmgr.geometry import datum

    source_xy, wgs84 = _daoli(shared_geodata)
    wgs_xy = shapely.get_coordinates(wgs84)
    assert len(wgs_xy) == len(source_xy) > 100
    # the Python round trip, WGS84 -> GCJ-02 -> WGS84
    gx, gy = datum.wgs84_to_gcj02(wgs_xy[:, 0], wgs_xy[:, 1])
    bx, by = datum.gcj02_to_wgs84(gx, gy)
    assert _metres(wgs_xy[:, 0], wgs_xy[:, 1], bx, by).max() < 0.5
    assert _metres(gx, gy, source_xy[:, 0], source_xy[:, 1]).max() < 0.5
    # the browser's forward transform, on what the map draws
    with chromium("http://127.0.0.1:9") as page:
        page.set_content("<!doctype html><title>gcj02</title>")
        page.add_script_tag(content=BASEMAPS_JS.read_text(encoding="utf-8"))
        shifted = np.array(
            page.evaluate(
                "xy => xy.map(p => GridmgrBasemaps.wgs84ToGcj02(p[0], p[1]))", wgs_xy.tolist()
            )
        )
    moved = _metres(wgs_xy[:, 0], wgs_xy[:, 1], shifted[:, 0], shifted[:, 1])
    assert moved.min() > 100  # Harbin's GCJ-02 offset is hundreds of metres
    assert _metres(shifted[:, 0], shifted[:, 1], source_xy[:, 0], source_xy[:, 1]).max() < 0.5
    # and the browser agrees with gridmgr/datum.py to well under a centimetre
    assert _metres(shifted[:, 0], shifted[:, 1], gx, gy).max() < 0.005


def test_outside_china_nothing_shifts():
    with chromium("http://127.0.0.1:9") as page:
        page.set_content("<!doctype html><title>gcj02</title>")
        page.add_script_tag(content=BASEMAPS_JS.read_text(encoding="utf-8"))
        assert page.evaluate("GridmgrBasemaps.wgs84ToGcj02(13.4, 52.5)") == [13.4, 52.5]


# --- pages in the browser ------------------------------------------------------------------------


@pytest.fixture
def tiled_site(tmp_path):
    """A seeded park on SQLite, its app (config set per test) and a tile route of its own."""
    from flask import Response

    url, engine = sqlite_database(tmp_path)
    seeded = seed_park(engine, tmp_path)
    app = app_on(url, tmp_path, TILES_URL="")
    asked: list[str] = []

    @app.get("/test-tiles/<path:tile>")
    def _tile(tile: str):
        asked.append(tile)
        return Response(PNG, mimetype="image/png")

    app.asked_tiles = asked  # type: ignore[attr-defined]
    yield app, seeded
    app.extensions["gridmgr.engine"].dispose()
    engine.dispose()


def _open_map(page, base: str, slug: str, code: str) -> None:
    browser_login(page, base, "manager")
    page.goto(f"{base}/areas/{slug}/map")
    page.wait_for_selector(f'path.gm-feature[data-id="{code}"]')


def test_no_base_map_asks_no_other_server(tiled_site):
    app, seeded = tiled_site
    with live_server(app) as base, chromium(base, viewport={"width": 1280, "height": 800}) as page:
        _open_map(page, base, seeded.slug, seeded.codes[0])
        assert page.get_attribute(".folium-map", "data-basemap") == "none"
        assert page.locator("img.leaflet-tile").count() == 0
        assert page.locator(".gm-basemaps").count() == 0  # one base map: no switch
    assert not app.asked_tiles


def test_self_hosted_tiles_come_from_the_server_only(tiled_site):
    app, seeded = tiled_site
    with live_server(app) as base, chromium(base, viewport={"width": 1280, "height": 800}) as page:
        app.config["TILES_URL"] = f"{base}/test-tiles/{{z}}/{{x}}/{{y}}.png"
        app.config["TILES_NAME"] = "Intranet tiles"
        _open_map(page, base, seeded.slug, seeded.codes[0])
        page.wait_for_selector("img.leaflet-tile-loaded")
        assert page.get_attribute(".folium-map", "data-basemap") == "xyz"
        sources = page.eval_on_selector_all("img.leaflet-tile", "els => els.map(e => e.src)")
        assert sources and all(s.startswith(f"{base}/test-tiles/") for s in sources)
        page.hover(".gm-basemaps")
        page.click(".gm-basemaps label:has-text('No base map')")
        page.wait_for_function("!document.querySelector('img.leaflet-tile')")
    assert app.asked_tiles


def _ring(page, code: str) -> list[list[float]]:
    """The first ring of a cell as the map holds it now ([lng, lat] pairs)."""
    return page.evaluate(
        """code => {
          for (const key of Object.keys(GridmgrMap.layers)) {
            const sub = GridmgrMap.layers[key].byId.get(code);
            if (sub) return sub.getLatLngs()[0].map(ll => [ll.lng, ll.lat]);
          }
          return null;
        }""",
        code,
    )


def test_switching_to_amap_shifts_the_cells_and_back(tiled_site):
    from gridmgr.geometry import datum

    app, seeded = tiled_site
    code = seeded.codes[0]
    with live_server(app) as base, chromium(base, viewport={"width": 1280, "height": 800}) as page:
        app.config["BASEMAPS"] = ["osm", "amap", "none"]
        app.config["BASEMAP_URLS"] = {
            "osm": f"{base}/test-tiles/osm/{{z}}/{{x}}/{{y}}.png",
            "amap": f"{base}/test-tiles/amap/{{z}}/{{x}}/{{y}}.png?s={{s}}",
        }
        _open_map(page, base, seeded.slug, code)
        cell = f'path.gm-feature[data-id="{code}"]'
        outline = ".leaflet-gmOutline-pane path"
        drawn, ring = page.get_attribute(cell, "d"), _ring(page, code)
        outline_drawn = page.get_attribute(outline, "d")
        assert page.get_attribute(".folium-map", "data-basemap") == "osm"
        page.hover(".gm-basemaps")
        page.click(".gm-basemaps label:has-text('AMap')")
        page.wait_for_function("document.querySelector('.folium-map').dataset.basemap === 'amap'")
        assert page.get_attribute(cell, "d") != drawn
        assert page.get_attribute(outline, "d") != outline_drawn  # the outline moves too
        shifted = np.array(_ring(page, code))
        xy = np.array(ring)
        gx, gy = datum.wgs84_to_gcj02(xy[:, 0], xy[:, 1])
        assert _metres(shifted[:, 0], shifted[:, 1], gx, gy).max() < 0.01
        assert _metres(xy[:, 0], xy[:, 1], shifted[:, 0], shifted[:, 1]).min() > 100
        page.wait_for_selector("img.leaflet-tile[src*='/test-tiles/amap/']")
        # hidden overlays shift when they come back on the AMap layer too
        page.click(".leaflet-control-layers:not(.gm-basemaps) label:has-text('Cells') input")
        page.click(".leaflet-control-layers:not(.gm-basemaps) label:has-text('Cells') input")
        page.wait_for_selector(cell)
        assert np.allclose(np.array(_ring(page, code)), shifted, atol=1e-12)
        page.hover(".gm-basemaps")
        page.click(".gm-basemaps label:has-text('OpenStreetMap')")
        page.wait_for_function("document.querySelector('.folium-map').dataset.basemap === 'osm'")
        assert page.get_attribute(cell, "d") == drawn
        assert page.get_attribute(outline, "d") == outline_drawn
        assert _ring(page, code) == ring
    assert any(t.startswith("amap/") for t in app.asked_tiles)
    assert any(t.startswith("osm/") for t in app.asked_tiles)


def test_default_base_map_amap_draws_shifted_from_the_start(tiled_site):
    app, seeded = tiled_site
    code = seeded.codes[0]
    with live_server(app) as base, chromium(base, viewport={"width": 1280, "height": 800}) as page:
        app.config["BASEMAPS"] = ["osm", "amap"]
        app.config["DEFAULT_BASEMAP"] = "amap"
        app.config["BASEMAP_URLS"] = {
            "osm": f"{base}/test-tiles/osm/{{z}}/{{x}}/{{y}}.png",
            "amap": f"{base}/test-tiles/amap/{{z}}/{{x}}/{{y}}.png",
        }
        _open_map(page, base, seeded.slug, code)
        assert page.get_attribute(".folium-map", "data-basemap") == "amap"
        shifted = np.array(_ring(page, code))
        page.hover(".gm-basemaps")
        page.click(".gm-basemaps label:has-text('No base map')")
        page.wait_for_function("document.querySelector('.folium-map').dataset.basemap === 'none'")
        plain = np.array(_ring(page, code))
    assert _metres(plain[:, 0], plain[:, 1], shifted[:, 0], shifted[:, 1]).min() > 100
    assert math.isfinite(float(plain.sum()))
