"""Issue 16, acceptance 3, in a real browser (headless Chromium on a phone-sized screen, with a
position, nothing fetched from outside): the warden logs a round with its position; offline, the page
opens again from the phone's cache, takes two rounds and a finding with a photo and lists them as
waiting; back online they are stored exactly once with their original times (late_entry where due),
and the manager's map shows them."""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from webtools import browser_login, chromium, live_server, seed_park

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True}  # fmt: skip


def _wait(page, predicate, what: str, timeout_s: float = 20.0):
    """Poll the database until `predicate()` holds (the browser sends in the background); waiting
    through Playwright, whose sync API serves the test's request guard only while it is called."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        got = predicate()
        if got:
            return got
        page.wait_for_timeout(200)
    raise AssertionError(f"timed out waiting for {what}")


def _rows(engine):
    from gridmgr.db.models import Finding, Photo, Round
    from gridmgr.db.store import reading

    with reading(engine) as s:
        rounds = s.execute(select(Round).order_by(Round.at_s, Round.id)).scalars().all()
        findings = s.execute(select(Finding)).scalars().all()
        photos = s.execute(select(Photo.finding_id)).scalars().all()
        return list(rounds), list(findings), list(photos)


def _jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(out, format="JPEG")
    return out.getvalue()


def test_the_warden_page_works_offline_and_sends_each_entry_once(engine, app_factory, tmp_path):
    from gridmgr import services

    park = seed_park(engine, tmp_path, wardens=3)
    code = park.codes[0]
    inside = services.plan_cells(engine, park.slug).geometry.iloc[0].representative_point()
    app = app_factory(TILES_URL="")
    where = {"latitude": inside.y, "longitude": inside.x, "accuracy": 8}
    with (
        live_server(app) as base,
        chromium(base, **PHONE, geolocation=where, permissions=["geolocation"]) as phone,
    ):
        browser_login(phone, base, "warden1")
        phone.goto(f"{base}/me")
        expect(phone.locator("html")).to_have_attribute("data-offline-ready", "1", timeout=15_000)
        phone.wait_for_function("navigator.serviceWorker.controller !== null", timeout=15_000)
        # the service worker has the page and its files once the page told it which
        phone.wait_for_function(
            "caches.open('gridmgr-warden-v1').then(c => c.keys()).then(k => k.length >= 5)",
            timeout=15_000,
        )
        manifest = phone.evaluate(
            "fetch(document.querySelector('link[rel=manifest]').href).then(r => r.json())"
        )
        assert manifest["start_url"] == "/me" and {i["sizes"] for i in manifest["icons"]} == {
            "192x192", "512x512",
        }  # fmt: skip

        # online: a round with the phone's position, stored at once and shown after the reload
        phone.locator(f"form.log-form[data-code='{code}'] button[type=submit]").click()
        rounds = _wait(phone, lambda: _rows(engine)[0], "the first round")
        assert len(rounds) == 1 and rounds[0].in_cell is True and rounds[0].late_entry is False
        expect(phone.locator(f"[data-logged='{park.slug}/{code}'] li")).to_have_count(1)

        # offline: the page opens from the cache as last seen, and takes two rounds and a finding
        phone.context.set_offline(True)
        phone.reload()
        expect(phone.locator(f"#cell-{park.slug}-{code}")).to_be_visible()
        expect(phone.locator(f"[data-logged='{park.slug}/{code}'] li")).to_have_count(1)
        expect(phone.locator("html")).to_have_attribute("data-queue-ready", "1")
        now = datetime.now(UTC).replace(microsecond=0)
        early = now - timedelta(minutes=40)  # done 40 minutes ago, sent later: a late entry
        phone.clock.set_fixed_time(early)
        phone.locator(f"form.log-form[data-code='{code}'] button[type=submit]").click()
        expect(phone.locator("[data-offline=list] li")).to_have_count(1)
        phone.clock.set_fixed_time(now)
        phone.locator(f"form.log-form[data-code='{code}'] button[type=submit]").click()
        expect(phone.locator("[data-offline=list] li")).to_have_count(2)
        report = phone.locator(f"#cell-{park.slug}-{code} details.report")
        report.locator("summary").click()
        report.locator("textarea[name=text]").fill("垃圾桶满溢")
        report.locator("input[name=photo]").set_input_files(
            {"name": "bin.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}
        )
        report.locator("button[type=submit]").click()
        waiting = phone.locator("[data-offline=list] li")
        expect(waiting).to_have_count(3)
        assert [w.get_attribute("data-waiting") for w in waiting.all()] == [
            "round", "round", "finding",
        ]  # fmt: skip
        expect(phone.locator("[data-offline=state]")).not_to_be_empty()
        phone.wait_for_timeout(1000)
        assert len(_rows(engine)[0]) == 1  # nothing left the phone

        # back online: each sent once, with its own time
        phone.context.set_offline(False)
        phone.evaluate("window.dispatchEvent(new Event('online'))")
        _wait(phone, lambda: len(_rows(engine)[2]) == 1, "the finding's photo")
        expect(phone.locator("[data-offline=list] li")).to_have_count(0, timeout=15_000)
        rounds, findings, photos = _rows(engine)
        assert len(rounds) == 3 and len(findings) == 1 and photos == [findings[0].id]
        late, on_time = rounds[0], rounds[2]
        assert late.at_s == int(early.timestamp()) and late.late_entry is True
        assert on_time.at_s == int(now.timestamp()) and on_time.late_entry is False
        assert all(r.in_cell is True and r.received_at_s >= r.at_s for r in rounds)
        assert findings[0].found_at_s == int(now.timestamp()) and findings[0].text == "垃圾桶满溢"
        # the queue is empty: reloading sends nothing again
        phone.reload()
        expect(phone.locator("html")).to_have_attribute("data-queue-ready", "1")
        phone.wait_for_timeout(1000)
        assert len(_rows(engine)[0]) == 3

        # the manager's map: the rounds in the counts and in the cell's popup, the late one marked
        desk = phone.context.browser.new_context()
        desk.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base) else r.abort())
        page = desk.new_page()
        browser_login(page, base, "manager")
        page.goto(f"{base}/areas/{park.slug}/map")
        # just after midnight on the area's clock the late round, 40 minutes back, was yesterday's
        clock = ZoneInfo(services.get_area(engine, park.slug).timezone)
        today = early.astimezone(clock).date() == now.astimezone(clock).date()
        lates = ["true", "false", "false"] if today else ["false", "false"]
        assert page.locator("[data-count=rounds-today]").inner_text() == str(len(lates))
        assert page.locator("[data-count=late-entries]").inner_text() == str(lates.count("true"))
        page.evaluate(
            "code => GridmgrMap.focus("
            "JSON.parse(document.getElementById('gm-rounds').textContent).cellsKey, code)",
            code,
        )
        items = page.locator(f".gm-rounds[data-rounds-of='{code}'] li")
        expect(items).to_have_count(len(lates))
        assert [i.get_attribute("data-late-entry") for i in items.all()] == lates
        assert all(i.get_attribute("data-in-cell") == "true" for i in items.all())
        desk.close()

        # logging out (the login page) forgets the offline copy of the page
        phone.goto(f"{base}/login")
        phone.wait_for_function(
            "caches.keys().then(k => !k.includes('gridmgr-warden-v1'))", timeout=10_000
        )
