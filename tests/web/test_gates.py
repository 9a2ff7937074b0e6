"""Acceptance 4 in a real browser (headless Chromium, nothing fetched from outside): the gate page on
a 390 px phone counts to the limit and shows "entry paused"; the manager's map, open all along,
shows the change within 10 seconds without being reloaded. And the gate page offline: taps are kept
(with their Idempotency-Keys) and each is stored once when the connection is back."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from gridmgr.services.checkpoints import set_capacity
from gridmgr.services.occupancy import occupancy

from webtools import browser_login, chromium, live_server, seed_checkpoint, seed_park, table_counts

# the browser half is slow enough: SQLite only (the pages are the same on PostGIS)
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True}  # fmt: skip


def test_a_gate_counts_to_the_limit_and_the_map_follows(engine, app_factory, tmp_path):
    park = seed_park(engine, tmp_path, wardens=3)
    gate = seed_checkpoint(engine, park)["checkpoint_id"]
    set_capacity(engine, park.slug, instant=12)
    app = app_factory(TILES_URL="")
    with live_server(app) as base, chromium(base, **PHONE) as phone:
        desk_context = phone.context.browser.new_context()
        outside: list[str] = []
        desk_context.route(
            "**/*",
            lambda r: (
                r.continue_()
                if r.request.url.startswith(base)
                else (outside.append(r.request.url), r.abort())
            ),
        )
        desk = desk_context.new_page()
        browser_login(desk, base, "manager")
        desk.goto(f"{base}/areas/{park.slug}/map")
        desk.locator(f".gm-checkpoint[data-checkpoint='{gate}']").wait_for()
        assert desk.locator(".leaflet-container").get_attribute("data-occupancy") == "0"

        browser_login(phone, base, "warden1")
        phone.goto(f"{base}/me")
        phone.locator("a.gate-link").click()
        phone.wait_for_load_state("networkidle")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # fits the phone
        plus_one = phone.locator("button[data-in='1']")
        box = plus_one.bounding_box()
        assert box is not None and box["height"] >= 64 and box["width"] >= 64  # gloves
        count = phone.locator("[data-gate=occupancy]")
        expect(count).to_have_text("0")
        phone.locator("button[data-in='5']").click()
        phone.locator("button[data-in='5']").click()
        plus_one.click()
        expect(phone.locator("[data-gate=pending]")).to_have_text("")
        expect(count).to_have_text("11")
        assert phone.locator("#gate").get_attribute("data-status") == "near"  # amber from 90 %
        plus_one.click()
        expect(phone.locator("#gate")).to_have_attribute("data-status", "full")
        expect(count).to_have_text("12")
        assert phone.locator("[data-gate=status]").inner_text() == "Entry paused"
        assert plus_one.is_disabled() and not phone.locator("button[data-out]").is_disabled()

        expect(desk.locator(".leaflet-container")).to_have_attribute(
            "data-occupancy", "12", timeout=10_000
        )
        marker = desk.locator(f".gm-checkpoint[data-checkpoint='{gate}']")
        assert marker.get_attribute("data-in") == "12" and marker.get_attribute("data-out") == "0"
        assert desk.locator("#visitors").get_attribute("data-status") == "full"
        assert desk.locator("[data-visitors=status]").inner_text() == "Entry paused"
        desk.locator("[data-visitors=curve] svg polyline").wait_for(state="attached")
        desk_context.close()
        assert not outside, outside


def test_a_gate_keeps_counting_offline_and_sends_each_tap_once(engine, app_factory, tmp_path):
    park = seed_park(engine, tmp_path, wardens=3)
    gate = seed_checkpoint(engine, park)["checkpoint_id"]
    set_capacity(engine, park.slug, instant=100)
    app = app_factory(TILES_URL="")
    with live_server(app) as base, chromium(base, **PHONE) as phone:
        browser_login(phone, base, "warden1")
        phone.goto(f"{base}/areas/{park.slug}/checkpoints/{gate}/gate")
        count = phone.locator("[data-gate=occupancy]")
        expect(count).to_have_text("0")

        phone.context.set_offline(True)
        phone.locator("button[data-in='5']").click()
        phone.locator("button[data-in='1']").click()
        phone.locator("button[data-out='1']").click()
        pending = phone.locator("[data-gate=pending]")
        expect(pending).to_have_text("3 waiting to be sent")
        expect(count).to_have_text("5")  # the server's 0 and the taps still waiting
        expect(phone.locator("[data-gate=note]")).to_contain_text("Offline")
        kept = phone.evaluate(
            f"JSON.parse(localStorage.getItem('gridmgr-gate-{park.slug}-{gate}'))"
        )
        assert [(q["in"], q["out"]) for q in kept] == [(5, 0), (1, 0), (0, 1)]
        assert len({q["key"] for q in kept}) == 3  # an Idempotency-Key each
        assert occupancy(engine, park.slug).occupancy == 0  # nothing reached the server

        phone.context.set_offline(False)
        expect(pending).to_have_text("", timeout=15_000)
        expect(count).to_have_text("5")
        assert phone.evaluate(f"localStorage.getItem('gridmgr-gate-{park.slug}-{gate}')") == "[]"
        now = occupancy(engine, park.slug)
        assert (now.occupancy, now.entries, now.exits) == (5, 6, 1)
        assert table_counts(engine)["gate_events"] == 3  # each tap stored once
