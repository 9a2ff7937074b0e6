"""Issue 15, acceptance 4 in a real browser (headless Chromium, nothing fetched from outside): a
manager in zh-CN drills down district → street → community → the community's coverage map, each
overview showing its children on the map and in the table, the breadcrumb leading back up."""

from __future__ import annotations

import random

import pytest
from treetools import seed_tree

from gridmgr import services

from webtools import PASSWORD, browser_login, chromium, live_server

# the browser half is slow enough: SQLite only (the pages are the same on PostGIS)
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def test_drill_down_from_the_district_to_a_communitys_coverage_map(engine, app_factory):
    names = ["道里区", "新阳路街道", "经纬街道", "建国社区", "友谊社区", "安静社区"]
    tree = seed_tree(engine, [None, 0, 0, 1, 1, 2], random.Random(8), names=names, gridded=1.0)
    services.add_user(engine, "boss", role="manager", password=PASSWORD)
    app = app_factory(TILES_URL="")
    district, street, community = tree.slugs[0], tree.slugs[1], tree.slugs[3]
    with live_server(app) as base, chromium(base) as page:
        browser_login(page, base, "boss")
        page.goto(f"{base}/lang/zh-CN?next=/areas/{district}/overview")
        page.wait_for_load_state("networkidle")
        assert page.locator("html").get_attribute("lang") == "zh-CN"
        assert page.locator("h1.area-name").inner_text() == "道里区"
        assert "下级区域" in page.content()
        # the map shows each street, coloured, and the table lists them
        for slug in (street, tree.slugs[2]):
            band = page.locator(f".gm-feature[data-id='{slug}']").get_attribute("data-value")
            assert band is not None and band.startswith("b")
        assert page.locator("tr[data-child]").count() == 2

        page.locator(f".gm-feature[data-id='{street}']").click()  # on the map
        page.wait_for_url(f"**/areas/{street}/overview**")
        assert page.locator("h1.area-name").inner_text() == "新阳路街道"
        assert page.locator(f"nav.breadcrumb a[data-crumb='{district}']").inner_text() == "道里区"
        page.locator(f".gm-feature[data-id='{community}']").wait_for(state="attached")

        page.locator(f"tr[data-child='{community}'] a.drill").click()  # in the table
        page.wait_for_url(f"**/areas/{community}/overview**")
        assert page.locator("h1.area-name").inner_text() == "建国社区"
        crumbs = page.locator("nav.breadcrumb a").all_inner_texts()
        assert crumbs == ["道里区", "新阳路街道"]

        page.locator("aside a.drill").click()
        page.wait_for_url(f"**/areas/{community}/map")
        page.wait_for_load_state("networkidle")
        assert page.locator("h1.area-name").inner_text() == "建国社区"
        assert page.locator(".gm-feature").count() > 0  # the community's cells
        assert "覆盖" in page.content()
