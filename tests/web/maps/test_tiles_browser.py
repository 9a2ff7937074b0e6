"""The coverage map of a big plan in headless Chromium (issue 19): drawn from vector tiles, not the
compact GeoJSON; zoomed out, the cells merged per status in the same colours, a tooltip with how many
cells and a click zooming in; zoomed in, each cell in its status's colour, a tooltip naming the cell
under the pointer and its popup on a click; no request leaves the server and the
Content-Security-Policy refuses nothing."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

import pytest

from gridmgr import services
from gridmgr.web.maps.layers import STATUS_STYLES

from webtools import PASSWORD, app_on, browser_login, chromium, live_server, seed_park, seed_rounds

SIDE_M = 3160  # a square this wide in 10 m cells: 100,042 cells
LON0, LAT0 = 126.60, 45.75


def big_square(engine, tmp_path) -> str:
    """A 3.16 km square near Harbin gridded for real in 10 m squares (about 100,000 cells), the first
    20,000 held by a warden, 60,000 on a 3+N schedule: statuses due (or ok, overdue), unstaffed and
    unscheduled, in bands."""
    dlat = SIDE_M / 111320
    dlon = SIDE_M / (111320 * math.cos(math.radians(LAT0)))
    ring = [[LON0, LAT0], [LON0 + dlon, LAT0], [LON0 + dlon, LAT0 + dlat], [LON0, LAT0 + dlat]]
    path = tmp_path / "square.geojson"
    path.write_text(
        json.dumps({"type": "Polygon", "coordinates": [[*ring, ring[0]]]}), encoding="utf-8"
    )
    slug = services.add_area(engine, path, name="Big square", slug="big-square").slug
    services.grid(engine, slug, cell_size=10)
    codes = list(services.plan_cells(engine, slug)["code"])
    csv = tmp_path / "wardens.csv"
    csv.write_text("name,phone\n王芳,13800000001\n", encoding="utf-8")
    services.import_wardens(engine, csv)
    services.assign(engine, slug, codes[:20_000], "王芳")
    for k in range(0, 60_000, 20_000):  # in parts: PostgreSQL takes 65,535 parameters a query
        services.set_schedule(engine, slug, codes[k : k + 20_000], extra=1)
    services.add_user(engine, "manager", role="manager", password=PASSWORD)
    return slug


def screen_point(page, key: str, lon: float, lat: float) -> tuple[float, float]:
    """Where a WGS84 point is on the page, by the map's own projection."""
    x, y = page.evaluate(
        """([key, lat, lon]) => {
            const map = GridmgrMap.layers[key].map;
            const p = map.latLngToContainerPoint([lat, lon]);
            const box = map.getContainer().getBoundingClientRect();
            return [p.x + box.left, p.y + box.top];
        }""",
        [key, lat, lon],
    )
    return x, y


def canvas_pixel(page, x: float, y: float) -> list[int] | None:
    """The RGBA of the cells' canvas tile under a page point (None if no tile canvas is there)."""
    return page.evaluate(
        """([x, y]) => {
            const canvas = document.elementsFromPoint(x, y).find(
                (el) => el.tagName === "CANVAS" && el.closest(".leaflet-tile-container"));
            if (!canvas) return null;
            const box = canvas.getBoundingClientRect();
            const px = Math.floor((x - box.left) * canvas.width / box.width);
            const py = Math.floor((y - box.top) * canvas.height / box.height);
            return Array.from(canvas.getContext("2d").getImageData(px, py, 1, 1).data);
        }""",
        [x, y],
    )


def rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[k : k + 2], 16) for k in (1, 3, 5))  # type: ignore[return-value]


def assert_fill_at(page, key: str, cell, fill: str) -> None:
    """The canvas pixel inside `cell` is its status's fill (drawn half transparent)."""
    point = cell.representative_point()
    pixel = canvas_pixel(page, *screen_point(page, key, point.x, point.y))
    assert pixel is not None
    assert all(abs(a - b) <= 3 for a, b in zip(pixel[:3], rgb(fill), strict=True)), (pixel, fill)
    assert 110 <= pixel[3] <= 145  # fillOpacity 0.5


def hover_text(page, key: str, point) -> str:
    """The tooltip's text with the pointer at a WGS84 point."""
    x, y = screen_point(page, key, point.x, point.y)
    page.mouse.move(x - 2, y - 2)
    page.mouse.move(x, y)
    page.wait_for_selector(".gm-tooltip", timeout=5_000)
    text = page.inner_text(".gm-tooltip")
    page.mouse.move(1, 1)  # off the map: the tooltip goes
    return text


def wait_drawn(page, key: str) -> None:
    page.wait_for_selector(f".folium-map[data-loaded-{key}]", state="attached", timeout=90_000)


def test_a_100000_cell_plan_opens_from_vector_tiles(engine, db_url, tmp_path):
    slug = big_square(engine, tmp_path)
    report = services.coverage_report(engine, slug, with_cells=True)
    assert report.cells is not None and report.cells_total > 100_000
    status = dict(zip(report.cells.code, report.cells.status, strict=True))
    assert set(status.values()) >= {"unstaffed", "unscheduled"}
    cells = services.plan_cells(engine, slug).set_index("code")
    app = app_on(db_url, tmp_path, TILES_URL="")
    with live_server(app) as base, chromium(base) as page:
        asked: list[str] = []
        page.on("request", lambda r: asked.append(r.url))
        browser_login(page, base, "manager")
        page.goto(f"{base}/areas/{slug}/map")
        key = page.get_attribute(".map-frame", "data-cells-layer")
        wait_drawn(page, key)
        tiles = [u for u in asked if u.endswith(".mvt") or ".mvt?" in u]
        assert tiles and all(f"/api/v1/areas/{slug}/tiles/" in u for u in tiles)
        assert not [u for u in asked if "/cells" in u]  # not the compact GeoJSON
        # the first screen shows the whole square, its 10 m cells a pixel or two: merged per status,
        # each status in its colour, no single cell
        assert page.evaluate(f"Object.keys(GridmgrMap.layers['{key}'].drawn).length") == 0
        merged = page.evaluate(f"GridmgrMap.layers['{key}'].merged")
        assert merged == {s: STATUS_STYLES[s]["fillColor"] for s in set(status.values())}
        # deep in the unstaffed band, the canvas holds its colour; the tooltip says how many cells
        import shapely

        # the cell held by none, on a schedule, nearest the middle (away from the map's controls)
        points = shapely.centroid(cells.geometry.to_numpy()[20_000:60_000])
        middle = shapely.Point(LON0 + SIDE_M / 2 / (111320 * math.cos(math.radians(LAT0))),
                               LAT0 + SIDE_M / 2 / 111320)  # fmt: skip
        nearest = int(shapely.distance(points, middle).argmin())
        band = points[nearest]
        assert status[cells.index[20_000 + nearest]] == "unstaffed"
        x, y = screen_point(page, key, band.x, band.y)
        pixel = canvas_pixel(page, x, y)
        assert pixel is not None
        fill = rgb(STATUS_STYLES["unstaffed"]["fillColor"])
        assert all(abs(a - b) <= 3 for a, b in zip(pixel[:3], fill, strict=True)), pixel
        text = hover_text(page, key, band)
        assert "No warden" in text and "cells" in text and "zoom in" in text, text
        count = int(text.split(":")[1].split("cells")[0].replace(",", "").strip())
        assert 0 < count <= sum(v == "unstaffed" for v in status.values())
        # a click there zooms in to where single cells are drawn, each in its status's colour
        before = page.evaluate(f"GridmgrMap.layers['{key}'].map.getZoom()")
        page.evaluate(
            """(key) => { window.gmZoomed = new Promise(
                (done) => GridmgrMap.layers[key].layer.once("load", done)); }""",
            key,
        )
        page.mouse.move(x, y)
        page.mouse.click(x, y)
        page.evaluate("() => window.gmZoomed.then(() => true)")
        after = page.evaluate(f"GridmgrMap.layers['{key}'].map.getZoom()")
        assert after > before and after >= 16, (before, after)
        drawn = page.evaluate(f"GridmgrMap.layers['{key}'].drawn")
        assert drawn
        wrong = [c for c, fill in drawn.items() if fill != STATUS_STYLES[status[c]]["fillColor"]]
        assert not wrong, wrong[:5]
        # close up, the canvas holds each status's fill inside its cells
        middle = cells.geometry.iloc[20_000].centroid  # where held cells meet unstaffed ones
        page.evaluate(
            """([key, lat, lon]) => new Promise((done) => {
                const entry = GridmgrMap.layers[key];
                entry.layer.once("load", done);
                entry.map.setView([lat, lon], 18, {animate: false});
            })""",
            [key, middle.y, middle.x],
        )
        page.wait_for_timeout(300)  # the canvas tiles are drawn a frame after they load
        bounds = page.evaluate(f"GridmgrMap.layers['{key}'].map.getBounds().toBBoxString()")
        west, south, east, north = map(float, bounds.split(","))
        inner = cells.geometry.cx[west:east, south:north]
        seen = set()
        for code, cell in inner.items():
            if status[code] in seen or not cell.within(_box(west, south, east, north, 0.1)):
                continue
            assert_fill_at(page, key, cell, STATUS_STYLES[status[code]]["fillColor"])
            seen.add(status[code])
        assert len(seen) >= 2
        # a tooltip names the cell under the pointer, a click opens its popup
        code = next(c for c, g in inner.items() if g.within(_box(west, south, east, north, 0.2)))
        point = inner[code].representative_point()
        x, y = screen_point(page, key, point.x, point.y)
        page.mouse.move(x - 1, y - 1)
        page.mouse.move(x, y)
        page.wait_for_selector(".gm-tooltip", timeout=5_000)
        assert code in page.inner_text(".gm-tooltip")
        page.mouse.click(x, y)
        page.wait_for_selector(".gm-popup", timeout=5_000)
        assert code in page.inner_text(".gm-popup")
    app.extensions["gridmgr.engine"].dispose()


def _box(west: float, south: float, east: float, north: float, margin: float):
    """The box shrunk by `margin` of its size on every side."""
    import shapely

    dx, dy = (east - west) * margin, (north - south) * margin
    return shapely.box(west + dx, south + dy, east - dx, north - dy)


LATER = datetime.now(UTC) + timedelta(days=3)
DAY = (LATER + timedelta(hours=8)).date() - timedelta(days=1)  # the park's rounds' day (Shanghai)


@pytest.fixture
def park(engine, tmp_path):
    """The seeded park, 10 of its 30 cells without a warden, rounds in a few on DAY."""
    seeded = seed_park(engine, tmp_path, wardens=20)
    seed_rounds(engine, seeded, DAY, LATER)
    return seeded


def test_tiles_colour_cells_as_the_geojson_map_does(park, engine, db_url, tmp_path):
    cells = services.plan_cells(engine, park.slug).set_index("code")
    app = app_on(db_url, tmp_path, TILES_URL="")
    with live_server(app) as base, chromium(base) as page:
        browser_login(page, base, "manager")
        at = f"{DAY}T19:00"  # the evening of the rounds: cells ok, due and overdue
        page.goto(f"{base}/areas/{park.slug}/map?at={at}")  # 30 cells: inline GeoJSON, SVG paths
        key = page.get_attribute(".map-frame", "data-cells-layer")
        wait_drawn(page, key)
        geojson = page.evaluate(
            """() => Object.fromEntries(Array.from(document.querySelectorAll("path.gm-feature[data-id]"))
                   .map((p) => [p.getAttribute("data-id"), p.getAttribute("fill")]))"""
        )
        assert sorted(geojson) == sorted(cells.index)
        assert len(set(geojson.values())) >= 3  # several statuses compared
        held = cells.geometry[park.codes[7]].representative_point()  # a warden's cell
        tooltip = hover_text(page, key, held)
        app.config["TILES_ABOVE"] = 10  # the same map, drawn from tiles
        asked: list[str] = []
        page.on("request", lambda r: asked.append(r.url))
        page.goto(f"{base}/areas/{park.slug}/map?at={at}")
        key = page.get_attribute(".map-frame", "data-cells-layer")
        wait_drawn(page, key)
        tiles = [u for u in asked if ".mvt" in u]
        assert tiles and all(u.endswith(f".mvt?at={at}") for u in tiles)
        assert not any("/cells" in u for u in asked)
        assert not page.query_selector_all("path.gm-feature[data-id]")
        page.wait_for_timeout(300)
        drawn = page.evaluate(f"GridmgrMap.layers['{key}'].drawn")
        assert drawn == geojson
        # the same rows, wardens with their roles (the page's inline cells add last and next round
        # and today's rounds, as the fetched cells of plans over INLINE_CELLS_MAX do not)
        tiled = hover_text(page, key, held)
        assert tooltip.startswith(tiled) and tiled.count("\n") == 5, (tiled, tooltip)
        assert "warden8 (" in tiled and park.codes[7] in tiled
        for code, cell in cells.geometry.items():  # and the canvas shows it inside each cell
            assert_fill_at(page, key, cell, geojson[code])
    app.extensions["gridmgr.engine"].dispose()
