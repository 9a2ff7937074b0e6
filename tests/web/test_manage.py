"""The coverage map and the areas list (`web/manage.py`), and who reaches which page: through the Flask
test client on both databases, and in a real headless Chromium (SQLite only, to keep it quick) that may
ask nothing of other servers, with the warden's page beside the map."""

from __future__ import annotations

import json
import os
import re
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from conftest import ROOT
from webtools import (
    app_on,
    browser_login,
    chromium,
    live_server,
    login,
    seed_park,
    sqlite_database,
)

XSS = "<img src=x onerror=alert(1)>"
SCREENSHOTS = ROOT / "docs" / "screenshots"
TZ = ZoneInfo("Asia/Shanghai")


def _due_now(engine, slug: str, code: str) -> None:
    """Give one cell a single round whose window is open now, so it is due until someone logs it."""
    from gridmgr import services

    now = datetime.now(TZ)
    services.set_schedule(engine, slug, [code], times=[f"{now:%H:%M}"], extra=0)


# --- the test client, on SQLite and PostGIS ----------------------------------------------------


def test_map_page_inlines_small_plans_with_local_assets_only(site):
    app, seeded = site
    client = app.test_client()
    login(client, "manager")
    got = client.get(f"/areas/{seeded.slug}/map")
    assert got.status_code == 200
    html = got.get_data(as_text=True)
    assert "Haibin Park" in html and 'data-figure="coverage"' in html
    assert all(code in html for code in seeded.codes)  # the cells are in the page
    # not fetched from the cells API (the cell popup fetches only its rounds list, on opening)
    assert f"/api/v1/areas/{seeded.slug}/cells?" not in html
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith(("/", "#")) for s in sources), sources
    assert "cdn" not in html.lower() and "https://" not in html
    geometries = re.findall(r'"geometries":\[(.*?)\]\}\)', html)
    decimals = re.findall(r"\d+\.(\d+)[,\]]", "".join(geometries))
    assert decimals and max(len(d) for d in decimals) <= 6


def test_map_page_for_an_earlier_moment(site):
    app, seeded = site
    client = app.test_client()
    login(client, "manager")
    at = (datetime.now(TZ) + timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M")
    got = client.get(f"/areas/{seeded.slug}/map?at={at}")
    assert got.status_code == 200
    assert f'value="{at}"' in got.get_data(as_text=True)
    before = (datetime.now(TZ) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    early = client.get(f"/areas/{seeded.slug}/map?at={before}")
    assert early.status_code == 404 and "had no grid plan" in early.get_data(as_text=True)
    assert client.get(f"/areas/{seeded.slug}/map?at=yesterday").status_code == 422
    assert client.get("/areas/nowhere/map").status_code == 404


def test_big_plans_are_fetched_not_inlined(site):
    app, seeded = site
    app.config["INLINE_CELLS_MAX"] = 10
    client = app.test_client()
    login(client, "manager")
    html = client.get(f"/areas/{seeded.slug}/map").get_data(as_text=True)
    url = f"/api/v1/areas/{seeded.slug}/cells?fields=code,status,wardens\\u0026precision=6"
    (call,) = [line for line in html.splitlines() if url in line]
    assert call.rstrip().endswith("}, null);")  # the layer gets no inline data, only the URL
    assert html.count('"geometries"') == 3  # the outline, gaps and overlaps; no cells
    at = (datetime.now(TZ) + timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M")
    later = client.get(f"/areas/{seeded.slug}/map?at={at}").get_data(as_text=True)
    (url,) = re.findall(r'"url":"([^"]+)"', later)
    query = parse_qs(urlsplit(json.loads(f'"{url}"')).query)
    assert query["at"] == [at] and query["format"] == ["compact"]


def test_a_big_plan_at_an_earlier_moment_loads_the_plan_of_that_moment(site, engine):
    """After a re-grid, the page for a moment between the plans shows the old plan in its panel, and
    the compact cells its script fetches are that plan's, with the statuses the panel counts."""
    import time

    from gridmgr import services

    app, seeded = site
    app.config["INLINE_CELLS_MAX"] = 10
    between = datetime.now(TZ).replace(tzinfo=None).isoformat()
    time.sleep(0.05)
    services.grid(engine, seeded.slug, count=12)
    client = app.test_client()
    login(client, "manager")
    html = client.get(f"/areas/{seeded.slug}/map", query_string={"at": between}).get_data(
        as_text=True
    )
    assert "plan v1 · 30 cells" in html
    (url,) = re.findall(r'"url":"([^"]+)"', html)
    url = json.loads(f'"{url}"')
    assert "format=compact" in url and "at=" in url
    doc = client.get(url).get_json()
    assert doc["format"] == "compact" and doc["count"] == 30
    status = [doc["tables"]["status"][k] for k in doc["columns"]["status"]]
    counts = {m[0]: int(m[1]) for m in re.findall(r'data-count="(\w+)">(\d+)<', html)}
    for key in ("ok", "due", "overdue", "unstaffed", "unscheduled"):  # every cell is staffed
        assert status.count(key) == counts[key], key
    now = client.get(f"/areas/{seeded.slug}/map").get_data(as_text=True)
    assert "plan v2 · 12 cells" in now


@pytest.mark.parametrize(
    ("username", "path", "status"),
    [
        ("manager", "/areas/{slug}/map", 200),
        ("planner", "/areas/{slug}/map", 200),
        ("warden1", "/areas/{slug}/map", 403),
        ("manager", "/me", 403),
        ("warden1", "/me", 200),
        ("warden1", "/me/cells/{slug}/{own}", 200),
        ("warden1", "/me/cells/{slug}/{other}", 403),
        ("warden1", "/areas/{slug}/plan", 403),
    ],
)
def test_who_sees_which_page(site, username, path, status):
    app, seeded = site
    client = app.test_client()
    login(client, username)
    url = path.format(slug=seeded.slug, own=seeded.codes[0], other=seeded.codes[1])
    assert client.get(url).status_code == status


@pytest.mark.parametrize(
    ("username", "links"),
    [
        ("manager", ["map", "findings", "staff", "overview", "plan"]),
        ("planner", ["map", "findings", "plan"]),
    ],
)
def test_the_areas_list_links_each_role_to_its_pages(site, username, links):
    app, seeded = site
    client = app.test_client()
    login(client, username)
    html = client.get("/areas").get_data(as_text=True)
    found = re.findall(rf'href="/areas/{seeded.slug}/(\w+)"', html)
    assert found == links


def test_user_text_is_escaped_in_every_page(engine, app_factory, tmp_path):
    name = XSS + " {{ 7*7 }}"
    seeded = seed_park(engine, tmp_path, name=name)
    app = app_factory(TILES_URL="")
    shown = "&lt;img src=x onerror=alert(1)&gt; {{ 7*7 }}"
    for username, paths in [
        ("manager", ["/areas", f"/areas/{seeded.slug}/map"]),
        ("warden1", ["/me", f"/me/cells/{seeded.slug}/{seeded.codes[0]}"]),
    ]:
        client = app.test_client()
        login(client, username)
        for path in paths:
            html = client.get(path).get_data(as_text=True)
            assert XSS not in html, path
            assert shown in html, path
            if "map" in path:  # in the map's data: escaped for HTML, and inert as a template
                assert "\\u003cimg src=x onerror=alert(1)\\u003e \\u007b{ 7*7 }}" in html


# --- a real browser, SQLite only ------------------------------------------------------------------


@pytest.fixture
def sqlite_site(tmp_path):
    """A seeded park on SQLite and its app with no base map (nothing may leave the machine)."""
    url, engine = sqlite_database(tmp_path)
    apps = []

    def make(**seed):
        seeded = seed_park(engine, tmp_path, **seed)
        app = app_on(url, tmp_path, TILES_URL="")
        apps.append(app)
        return app, seeded, engine

    yield make
    for app in apps:
        app.extensions["gridmgr.engine"].dispose()
    engine.dispose()


def _cell_class(page, code: str) -> str:
    return page.get_attribute(f'path.gm-feature[data-id="{code}"]', "class") or ""


def test_roles_in_the_browser_and_a_round_turns_the_cell_green(sqlite_site):
    app, seeded, engine = sqlite_site()
    own = seeded.codes[0]
    _due_now(engine, seeded.slug, own)
    with live_server(app) as base:
        with chromium(base, viewport={"width": 1280, "height": 800}) as page:
            browser_login(page, base, "manager")
            assert page.url.endswith("/areas")
            page.click("text=coverage map")
            page.wait_for_selector(f'path.gm-feature[data-id="{own}"]')
            assert page.locator("path.gm-feature[data-id]").count() == len(seeded.codes)
            assert "gm-due" in _cell_class(page, own)
            assert page.get_attribute(f'path[data-id="{own}"]', "data-value") == "due"
            worst = page.locator(".worst a[data-gm-focus]").first  # the worst list zooms to a cell
            worst.click()
            page.wait_for_selector(".gm-popup .gm-info-code")
            shown = page.inner_text(".gm-popup .gm-info-code .gm-info-value")
            assert shown == worst.get_attribute("data-gm-focus")

        with chromium(base, viewport={"width": 390, "height": 844}) as phone:
            browser_login(phone, base, "warden1")
            assert phone.url.endswith("/me")
            phone.wait_for_selector(f'path.gm-feature[data-id="{seeded.slug}/{own}"]')
            assert phone.evaluate("document.documentElement.scrollWidth") <= 390
            button = phone.locator(f'#cell-{seeded.slug}-{own} .log-form button[type="submit"]')
            box = button.bounding_box()
            assert box and box["height"] >= 44 and box["width"] >= 300
            button.click()
            phone.wait_for_load_state("networkidle")
            assert "Round logged in" in phone.inner_text(".flash")
            card = phone.locator(f"#cell-{seeded.slug}-{own}")
            assert card.get_attribute("data-status") == "ok"
            assert phone.locator(f"#cell-{seeded.slug}-{own} [data-round-status=done]").count() == 1

        with chromium(base, viewport={"width": 1280, "height": 800}) as page:
            browser_login(page, base, "manager")
            page.goto(f"{base}/areas/{seeded.slug}/map")
            page.wait_for_selector(f'path.gm-feature[data-id="{own}"]')
            assert "gm-ok" in _cell_class(page, own)

        with chromium(base) as page:
            browser_login(page, base, "planner")
            assert page.url.endswith("/areas")
            page.goto(f"{base}/areas/{seeded.slug}/map")
            page.wait_for_selector("path.gm-feature[data-id]")


def test_a_warden_is_refused_other_cells_and_the_plan_page(sqlite_site):
    app, seeded, engine = sqlite_site()
    other = seeded.codes[1]
    with live_server(app) as base, chromium(base) as page:
        browser_login(page, base, "warden1")
        got = page.goto(f"{base}/me/cells/{seeded.slug}/{other}")
        assert got.status == 403 and "do not hold" in page.inner_text("main")
        got = page.goto(f"{base}/areas/{seeded.slug}/plan")
        assert got.status == 403
        page.goto(f"{base}/me")
        token = page.get_attribute("input[name=csrf_token]", "value")
        posted = page.request.post(
            f"{base}/me/cells/{seeded.slug}/{other}/rounds",
            form={"csrf_token": token},
            max_redirects=0,
        )
        assert posted.status == 403
    from gridmgr import services

    assert not services.warden_cells(engine, "warden2").cells[0].logged


def test_user_text_stays_text_in_the_browser(sqlite_site):
    from gridmgr import services

    app, seeded, engine = sqlite_site(name=XSS)
    own = seeded.codes[0]
    services.add_warden(engine, "<b onmouseover=alert(2)>Eve</b>")
    services.assign(engine, seeded.slug, [own], "<b onmouseover=alert(2)>Eve</b>")
    services.record_round(engine, seeded.slug, own, "warden1", note="<script>alert(3)</script>")
    _due_now(engine, seeded.slug, seeded.codes[2])
    with live_server(app) as base:
        with chromium(base, viewport={"width": 1280, "height": 800}) as page:
            browser_login(page, base, "manager")
            assert page.get_by_text(XSS).first.is_visible()
            page.goto(f"{base}/areas/{seeded.slug}/map")
            page.wait_for_selector(f'path.gm-feature[data-id="{own}"]')
            assert page.inner_text("h1.area-name") == XSS
            page.hover(f'path.gm-feature[data-id="{own}"]')
            tooltip = page.wait_for_selector(".gm-tooltip")
            assert "<b onmouseover=alert(2)>Eve</b>" in tooltip.inner_text()
            page.click(f'path.gm-feature[data-id="{own}"]')
            popup = page.wait_for_selector(".gm-popup")
            assert "<b onmouseover=alert(2)>Eve</b>" in popup.inner_text()
            page.hover(".leaflet-control-layers")
            assert not page.dialogs
        with chromium(base, viewport={"width": 390, "height": 844}) as phone:
            browser_login(phone, base, "warden1")
            phone.wait_for_selector("path.gm-feature")
            assert phone.get_by_text(XSS).first.is_visible()
            phone.click("a[data-gm-focus]")
            phone.wait_for_selector(".gm-popup")
            phone.goto(f"{base}/me/cells/{seeded.slug}/{own}")
            assert phone.get_by_text("<script>alert(3)</script>", exact=False).first.is_visible()
            assert not phone.dialogs


def test_a_plan_too_big_to_inline_comes_from_the_api(sqlite_site):
    from gridmgr import services

    app, seeded, engine = sqlite_site(wardens=2)
    services.grid(engine, seeded.slug, cell_size=4.8)
    n = len(services.plan_cells(engine, seeded.slug))
    assert n > app.config["INLINE_CELLS_MAX"]
    with live_server(app) as base, chromium(base, viewport={"width": 1280, "height": 800}) as page:
        browser_login(page, base, "manager")
        fetched: list[str] = []
        page.on("requestfinished", lambda r: fetched.append(r.url) if "/cells?" in r.url else None)
        got = page.goto(f"{base}/areas/{seeded.slug}/map")
        html = got.text()
        assert len(html) < 100_000 and '"geometries"' not in html.split("Cells")[-1][:2000]
        key = page.get_attribute(".map-frame", "data-cells-layer")
        page.wait_for_selector(f".folium-map[data-loaded-{key}]", state="attached", timeout=30_000)
        assert page.get_attribute(".folium-map", f"data-loaded-{key}") == str(n)
        assert page.locator("path.gm-feature[data-id]").count() == n
        assert not page.locator(".gm-error").count()
        assert len(fetched) == 1 and "format=compact" in fetched[0], fetched  # the compact format
        code = services.plan_cells(engine, seeded.slug)["code"].iloc[7]
        page.hover(f'path.gm-feature[data-id="{code}"]')  # decoded fields in the tooltip
        tooltip = page.wait_for_selector(".gm-tooltip .gm-info-code .gm-info-value")
        assert tooltip.inner_text() == code


@pytest.mark.skipif(
    os.environ.get("GRIDMGR_SCREENSHOTS") != "1", reason="set GRIDMGR_SCREENSHOTS=1 to retake them"
)
def test_screenshot_of_the_demo_coverage_map(tmp_path):
    """The README's picture: the demo park (every kind of gap at any hour) at 1280×800."""
    from gridmgr.services.demo import build_demo
    from gridmgr.web import create_app

    url = f"sqlite:///{tmp_path / 'demo.db'}"
    logins = {u.username: u for u in build_demo(url)}
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "i"), "TILES_URL": ""})
    app.config["SESSION_COOKIE_SECURE"] = False
    try:
        with (
            live_server(app) as base,
            chromium(base, viewport={"width": 1280, "height": 800}) as page,
        ):
            browser_login(page, base, "manager", logins["manager"].password)
            page.click("text=coverage map")
            page.wait_for_selector("path.gm-feature.gm-overdue")
            for status in ("ok", "due", "overdue", "unstaffed", "unscheduled"):
                assert page.locator(f"path.gm-feature.gm-{status}").count(), status
            page.hover("path.gm-feature.gm-overdue")
            page.wait_for_selector(".gm-tooltip")
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "coverage-map-1280.png"))
            warden = logins["warden1"]
        with (
            live_server(app) as base,
            chromium(base, viewport={"width": 390, "height": 844}) as phone,
        ):
            browser_login(phone, base, "warden1", warden.password)
            phone.wait_for_selector("path.gm-feature")
            phone.screenshot(path=str(SCREENSHOTS / "warden-page-390.png"))
    finally:
        app.extensions["gridmgr.engine"].dispose()
    assert Path(SCREENSHOTS / "coverage-map-1280.png").stat().st_size > 10_000


def test_chinese_map_and_warden_page_and_the_language_switch(sqlite_site):
    app, seeded, _ = sqlite_site()
    with live_server(app) as base:
        with chromium(base, locale="zh-CN", viewport={"width": 1280, "height": 800}) as page:
            browser_login(page, base, "manager")
            assert page.url.endswith("/areas") and "覆盖地图" in page.inner_text("main")
            page.click("text=覆盖地图")
            code = seeded.codes[0]
            page.wait_for_selector(f'path.gm-feature[data-id="{code}"]')
            legend = page.inner_text(".gm-legend-title >> xpath=..")
            assert "网格" in legend and "空隙（无网格）" in legend and "重叠" in legend
            panel = page.inner_text(".map-panel")
            assert "已覆盖 / 总面积" in panel and "平方米" in panel
            page.hover(f'path.gm-feature[data-id="{code}"]')
            tooltip = page.wait_for_selector(".gm-tooltip").inner_text()
            assert "网格" in tooltip and "状态" in tooltip and "Status" not in tooltip
            page.click("a[data-lang=en]")  # the switch: English from now on, on every page
            page.wait_for_selector(f'path.gm-feature[data-id="{code}"]')
            assert "Covered / total" in page.inner_text(".map-panel")
            page.goto(f"{base}/areas")
            assert "coverage map" in page.inner_text("main")
        with chromium(base, locale="zh-CN", viewport={"width": 390, "height": 844}) as phone:
            browser_login(phone, base, "warden1")
            assert phone.url.endswith("/me")
            phone.wait_for_selector("path.gm-feature")
            text = phone.inner_text("main")
            assert "我的网格" in text and "平方米" in text
            assert "消杀轮次" in phone.inner_text(".gm-legend-title")
