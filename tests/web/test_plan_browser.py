"""The planner's and the staff pages in a real browser (headless Chromium, nothing fetched from outside)."""

from __future__ import annotations

import pytest

from conftest import GEODATA
from webtools import browser_login, chromium, live_server, seed_park

# the browser half is slow enough: SQLite only (the pages are the same on PostGIS)
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def site(engine, app_factory, tmp_path):
    seeded = seed_park(engine, tmp_path)
    return app_factory(TILES_URL=""), seeded, engine


def test_planner_uploads_cells_previews_and_commits(site, tmp_path):
    from gridmgr import services

    app, seeded, engine = site
    drawn = tmp_path / "drawn cells.geojson"
    services.export_plan(engine, seeded.slug, drawn)
    with live_server(app) as base, chromium(base) as page:
        browser_login(page, base, "planner")
        page.goto(f"{base}/areas/{seeded.slug}/plan")
        page.check("input[name=mode][value=import]")
        page.set_input_files("input[name=cells]", str(drawn))
        page.click("#preview-button")
        page.wait_for_selector("#preview")
        assert "Preview (nothing written yet)" in page.inner_text("#preview")
        assert len(services.list_plans(engine, seeded.slug)) == 1
        page.wait_for_selector("path.gm-feature")  # the new cells on the map
        assert page.locator("path.gm-feature[data-id]").count() == 30
        page.click("#commit")
        page.wait_for_load_state("networkidle")
        assert "plan v2 is active" in page.inner_text("body")
        assert not page.dialogs
    plans = services.list_plans(engine, seeded.slug)
    assert (plans[-1].version, plans[-1].mode, plans[-1].active) == (2, "import", True)


def test_planner_adds_an_area_from_a_file(site):
    from gridmgr import services

    app, _seeded, engine = site
    with live_server(app) as base, chromium(base) as page:
        browser_login(page, base, "planner")
        page.goto(f"{base}/areas/new")
        page.fill("input[name=name]", "东湖公园")
        page.fill("input[name=kind]", "park")
        page.set_input_files("input[name=boundary]", str(GEODATA / "demo_park.geojson"))
        page.fill("input[name=slug]", "Dong Hu")  # the browser itself says what a slug may hold
        page.click("button[type=submit]:has-text('Add the area')")
        assert page.eval_on_selector("input[name=slug]", "e => e.validity.patternMismatch")
        assert page.url.endswith("/areas/new")
        page.fill("input[name=slug]", "")  # none: made from the name
        page.click("button[type=submit]:has-text('Add the area')")
        page.wait_for_load_state("networkidle")
        assert page.url.endswith("/areas/donghu-gongyuan/plan")
        assert "东湖公园" in page.inner_text("h1") and "now grid it" in page.inner_text("body")
        page.fill("input[name=count]", "6")
        page.click("#preview-button")
        page.wait_for_selector("#preview")
        page.click("#commit")
        page.wait_for_load_state("networkidle")
        assert "plan v1 is active" in page.inner_text("body")
    slug = page_slug = next(a.slug for a in services.list_areas(engine) if a.name == "东湖公园")
    assert services.list_plans(engine, page_slug)[0].cells == 6 and slug


def test_manager_picks_a_cell_on_the_map_and_posts_a_warden(site):
    from gridmgr import services

    app, seeded, engine = site
    code = seeded.codes[7]
    with live_server(app) as base, chromium(base) as page:
        browser_login(page, base, "manager")
        page.goto(f"{base}/areas/{seeded.slug}/staff")
        cell = page.locator(f'path.gm-feature[data-id="{code}"]')
        cell.wait_for()
        cell.click()
        assert page.input_value("#codes") == code
        assert "picked" in (cell.get_attribute("class") or "")
        page.fill("#warden", "warden20")
        page.select_option("#role", "leader")
        page.click("#assign-button")
        page.wait_for_load_state("networkidle")
        assert f"warden20 posted to {code} as leader" in page.inner_text("body")
        assert not page.dialogs
    staff = services.area_staff(engine, seeded.slug)
    held = {c.code: [(p.name, p.role) for p in c.posts] for c in staff.cells}
    assert ("warden20", "leader") in held[code]
