"""Acceptance 2 in a real browser (headless Chromium, nothing fetched from outside): a warden reports a
problem with a photo on a 390 px phone screen; the manager sees its marker on the coverage map, opens
its popup with the photo, closes it from the ledger page; the warden's list no longer shows it."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from PIL import Image
from playwright.sync_api import expect

from webtools import browser_login, chromium, live_server, seed_park

# the browser half is slow enough: SQLite only (the pages are the same on PostGIS)
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True}  # fmt: skip


def test_a_warden_reports_on_a_phone_and_the_manager_closes_it(engine, app_factory, tmp_path):
    from gridmgr.services import findings as f

    park = seed_park(engine, tmp_path)
    app = app_factory(TILES_URL="")
    photo = tmp_path / "IMG_0042.jpg"
    picture = io.BytesIO()
    Image.new("RGB", (1200, 900), (180, 40, 40)).save(picture, format="JPEG")
    photo.write_bytes(picture.getvalue())
    deadline = (date.today() + timedelta(days=5)).isoformat()
    with live_server(app) as base:
        with chromium(base, **PHONE) as phone:
            browser_login(phone, base, "warden1")
            phone.goto(f"{base}/me")
            assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # fits the phone
            card = phone.locator(f"#cell-{park.slug}-{park.codes[0]}")
            card.locator("details.report summary").click()
            form = card.locator("form.report-form")
            form.locator("select[name=category]").select_option("waste")
            form.locator("textarea[name=text]").fill("垃圾桶满溢，需要清运")
            form.locator("input[name=photo]").set_input_files(str(photo))
            form.locator("input[name=plan][value=deadline]").check()
            form.locator("input[name=deadline]").fill(deadline)
            form.locator("input[name=unit]").fill("物业公司")
            form.locator("button[data-action=report]").click()
            phone.wait_for_load_state("networkidle")
            mine = phone.locator("#findings li[data-finding]")
            # sent through the page's queue (gridmgr-warden.js), then the page loads again
            expect(mine).to_have_count(1, timeout=15_000)
            assert "垃圾桶满溢" in mine.inner_text()
            fid = int(mine.get_attribute("data-finding"))
        finding = f.get_finding(engine, fid, f.Actor("manager", "manager"))
        assert finding.person == "warden1" and len(finding.photos) == 1
        with chromium(base) as desk:
            browser_login(desk, base, "manager")
            desk.goto(f"{base}/areas/{park.slug}/map")
            marker = desk.locator(f".gm-finding[data-finding='{fid}']")
            marker.wait_for()
            assert marker.get_attribute("data-status") == "open"
            assert desk.locator("path.gm-open-findings").count() == 1  # its cell outlined
            assert desk.locator(".gm-findings-legend .gm-finding").count() == 4
            marker.click()
            popup = desk.locator(f".gm-finding-popup[data-finding='{fid}']")
            popup.locator("img").wait_for()
            assert "垃圾桶满溢" in popup.inner_text() and "物业公司" in popup.inner_text()
            # the photo shows: waited for, as its bytes may still be on the way on a busy machine
            desk.wait_for_function(
                "[...document.querySelectorAll('.gm-finding-popup img')].every(i => i.complete && i.naturalWidth > 0)"
            )
            desk.goto(f"{base}/areas/{park.slug}/findings")
            row = desk.locator(f"tr[data-finding='{fid}']")
            row.locator("input[name=note]").fill("现场核实已清运")
            row.locator("button[data-action=close]").click()
            desk.wait_for_load_state("networkidle")
            assert (
                desk.locator(f"tr[data-finding='{fid}']").get_attribute("data-status") == "closed"
            )
            assert desk.locator("[data-figure=rate]").inner_text() == "100.0%"
        with chromium(base, **PHONE) as phone:
            browser_login(phone, base, "warden1")
            phone.goto(f"{base}/me")
            assert phone.locator("#findings li[data-finding]").count() == 0
            assert phone.locator("#findings [data-empty]").count() == 1
