"""Rounds as evidence on the pages (SQLite and PostGIS): the staff page's location toggle, the
warden's list saying which rounds were entered late, and the map's proof counts and data."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from gridmgr.rules.evidence import Location

from webtools import csrf_of, login, seed_park


@pytest.fixture
def site(engine, app_factory, tmp_path):
    seeded = seed_park(engine, tmp_path, wardens=3)
    return app_factory(TILES_URL=""), seeded, engine


def test_the_staff_page_toggles_the_location_requirement(site):
    from gridmgr import services

    app, seeded, engine = site
    client = app.test_client()
    login(client, "manager")
    page = client.get(f"/areas/{seeded.slug}/staff").get_data(as_text=True)
    assert (
        'id="require-location"' in page
        and "checked" not in page.split('id="require-location"')[1][:20]
    )
    url = f"/areas/{seeded.slug}/staff/location"
    token = csrf_of(client, f"/areas/{seeded.slug}/staff")
    done = client.post(url, data={"csrf_token": token, "require_location": "1"})
    assert done.status_code in (302, 303) and services.requires_location(engine, seeded.slug)
    page = client.get(f"/areas/{seeded.slug}/staff").get_data(as_text=True)
    assert re.search(r'id="require-location"\s+checked', page)
    client.post(url, data={"csrf_token": token})
    assert not services.requires_location(engine, seeded.slug)
    warden = app.test_client()
    login(warden, "warden1")
    assert warden.post(url, data={"csrf_token": csrf_of(warden, "/me")}).status_code == 403
    assert client.post(url, data={"require_location": "1"}).status_code in (400, 403)
    assert not services.requires_location(engine, seeded.slug)


def test_the_warden_sees_late_entries_and_the_map_counts_rounds_without_proof(site):
    from gridmgr import services

    app, seeded, engine = site
    code = seeded.codes[0]
    inside = services.plan_cells(engine, seeded.slug).geometry.iloc[0].representative_point()
    now = datetime.now(UTC)
    local_midnight = (now + timedelta(hours=8)).replace(hour=0, minute=0) - timedelta(hours=8)
    back = min(timedelta(hours=1), (now - local_midnight) / 2)  # still today on the area's clock
    where = Location(inside.x, inside.y, 5.0)
    services.record_round(engine, seeded.slug, code, "warden1", location=where, manager=False)
    late = services.record_round(
        engine, seeded.slug, code, "warden1", at=now - back, manager=False
    ).round
    assert late.late_entry == (back > timedelta(minutes=15))
    warden = app.test_client()
    login(warden, "warden1")
    me = warden.get("/me").get_data(as_text=True)
    assert me.count('data-late-entry="true"') == int(late.late_entry)
    assert me.count('data-late-entry="false"') == 2 - int(late.late_entry)
    assert ("entered late" in me) == late.late_entry
    client = app.test_client()
    login(client, "manager")
    html = client.get(f"/areas/{seeded.slug}/map").get_data(as_text=True)
    assert 'data-count="rounds-today">2<' in html
    assert 'data-count="rounds-without-proof">1<' in html
    block = re.search(r'<script type="application/json" id="gm-rounds"[^>]*>(.*?)</script>', html)
    data = json.loads(block.group(1))
    assert data["unproven"] == [] and "{code}" in data["rounds"]
