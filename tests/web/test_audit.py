"""The managers' audit log page: changes made through the pages show up with who, when and what."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest

from gridmgr import services
from gridmgr.db.models import Area
from gridmgr.db.store import transaction
from gridmgr.services.audit import list_audit

from conftest import GEODATA
from webtools import csrf_of, login, seed_park


@pytest.fixture
def site(engine, app_factory, tmp_path):
    seeded = seed_park(engine, tmp_path)
    return app_factory(), seeded


def _rows(html: str) -> list[dict[str, str]]:
    """The audit table's rows: event id, action code and the row's text."""
    out = []
    for match in re.finditer(
        r'<tr data-event="(\d+)" data-action="([^"]*)">(.*?)</tr>', html, re.DOTALL
    ):
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(3)))
        out.append({"id": int(match.group(1)), "action": match.group(2), "text": text})
    return out


def _older_link(html: str) -> str | None:
    found = re.search(r'<a rel="next" href="([^"]+)"', html)
    return found.group(1).replace("&amp;", "&") if found else None


def test_a_change_made_on_a_page_shows_who_what_and_when(site):
    app, park = site
    manager = app.test_client()
    login(manager, "manager")
    token = csrf_of(manager, f"/areas/{park.slug}/staff")
    posted = manager.post(
        f"/areas/{park.slug}/staff/assign",
        data={"codes": park.codes[5], "warden": "warden9", "role": "leader", "csrf_token": token},
    )
    assert posted.status_code == 302
    warden = app.test_client()
    login(warden, "warden1")
    token = csrf_of(warden, "/me")
    logged = warden.post(
        f"/me/cells/{park.slug}/{park.codes[0]}/rounds",
        data={"note": "by the gate", "csrf_token": token},
    )
    assert logged.status_code == 303

    page = manager.get("/audit")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    rows = _rows(html)
    assert [r["id"] for r in rows] == sorted((r["id"] for r in rows), reverse=True)
    newest, before = rows[0], rows[1]
    assert newest["action"] == "round.log"
    assert "warden1" in newest["text"] and "Round logged" in newest["text"]
    assert park.codes[0] in newest["text"] and "Haibin Park" in newest["text"]
    assert "Asia/Shanghai, UTC+08:00" in newest["text"]  # the area's zone, stated
    # nothing the Content-Security-Policy refuses: no inline scripts, no event handler attributes
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert not re.search(r"<[^>]+\son[a-z]+=", html)
    assert before["action"] == "assign"
    assert "manager" in before["text"] and "Warden posted to cells" in before["text"]
    assert "warden9" in before["text"] and park.codes[5] in before["text"]
    assert "leader" in before["text"]
    # the audit link is in the managers' top bar only
    assert 'href="/audit"' in manager.get("/areas").get_data(as_text=True)
    planner = app.test_client()
    login(planner, "planner")
    assert 'href="/audit"' not in planner.get("/areas").get_data(as_text=True)


def test_times_are_in_the_areas_own_zone(site, engine):
    app, _ = site
    made = services.add_area(
        engine, GEODATA / "demo_park.geojson", name="Berlin Copy", kind="park", actor="planner"
    )
    with transaction(engine) as s:
        s.query(Area).filter(Area.slug == made.slug).one().timezone = "Europe/Berlin"
    client = app.test_client()
    login(client, "manager")
    html = client.get(f"/audit?area={made.slug}").get_data(as_text=True)
    rows = _rows(html)
    assert [r["action"] for r in rows] == ["area.add"]
    assert re.search(r"Europe/Berlin, UTC\+0[12]:00", rows[0]["text"])
    event = list_audit(engine, area=made.slug)[0]
    local = event.at.astimezone(ZoneInfo("Europe/Berlin"))
    assert f"{local:%Y-%m-%d %H:%M:%S}" in rows[0]["text"]


def test_area_filter_and_paging_older(site, engine):
    app, park = site
    for k in range(20):  # events of no area, so the park's and the whole log differ
        services.add_warden(engine, f"extra{k}", actor="manager")
    client = app.test_client()
    login(client, "manager")
    every = [e.id for e in list_audit(engine, limit=1000)]
    assert len(every) > 50  # more than one page
    seen: list[int] = []
    url: str | None = "/audit"
    pages = 0
    while url:
        got = client.get(url)
        assert got.status_code == 200
        html = got.get_data(as_text=True)
        seen += [r["id"] for r in _rows(html)]
        url = _older_link(html)
        pages += 1
    assert seen == every and pages == -(-len(every) // 50)

    mine = [e.id for e in list_audit(engine, area=park.slug, limit=1000)]
    html = client.get(f"/audit?area={park.slug}").get_data(as_text=True)
    rows = _rows(html)
    assert [r["id"] for r in rows] == mine[:50] and mine != every[: len(mine)]
    assert all("Haibin Park" in r["text"] for r in rows)
    assert f'<option value="{park.slug}" selected>' in html
    older = client.get(f"/audit?area={park.slug}&before={rows[0]['id']}").get_data(as_text=True)
    assert [r["id"] for r in _rows(older)] == [i for i in mine if i < rows[0]["id"]][:50]
    assert client.get("/audit?area=nowhere").status_code == 404
    assert client.get("/audit?before=soon").status_code == 422


def test_only_managers_read_the_audit_log(site):
    app, _ = site
    anonymous = app.test_client().get("/audit")
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login")
    for username in ("planner", "warden1"):
        client = app.test_client()
        login(client, username)
        got = client.get("/audit")
        assert got.status_code == 403 and "this needs the role manager" in got.get_data(
            as_text=True
        )


def test_the_audit_page_in_chinese(site):
    app, _ = site
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
    login(client, "manager")
    html = client.get("/audit").get_data(as_text=True)
    for text in ("操作日志", "时间", "操作人", "操作", "详情", "全部区域", "登录账号"):
        assert text in html, text
    assert "Audit log" not in html and "Who" not in html
