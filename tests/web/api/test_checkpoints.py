"""The checkpoints API on SQLite and PostGIS: the Harbin report's caps through HTTP (acceptance 1
and 2), replays, overrides, who may count and read, and the answers' shapes."""

from __future__ import annotations

import json
import uuid

import pytest
import shapely

from gridmgr import services
from gridmgr.services.area_import import import_areas
from gridmgr.services.checkpoints import add_checkpoint, set_capacity

from webtools import PARK_GATE, seed_checkpoint, seed_park

API = "/api/v1"


@pytest.fixture
def site(engine, tmp_path, app_factory):
    park = seed_park(engine, tmp_path, wardens=3)
    gate = seed_checkpoint(engine, park)["checkpoint_id"]
    app = app_factory()
    ids = {u.username: u.id for u in services.list_users(engine)}
    tok = {
        u: {"Authorization": f"Bearer {services.issue_token(engine, ids[u])}"}
        for u in ("manager", "planner", "warden1", "warden2")
    }
    return app.test_client(), tok, park.slug, gate


def post(client, headers, slug, gate, body, key=None):
    extra = {"Idempotency-Key": key} if key else {}
    return client.post(
        f"{API}/areas/{slug}/checkpoints/{gate}/counts", headers=headers | extra, json=body
    )


def test_old_daowai_600_at_once_through_the_api(site, engine):
    """Acceptance 1: 600 entries in batches, the 601st → 409 at_capacity; one exit, then one entry;
    a replayed Idempotency-Key changes nothing."""
    client, tok, slug, gate = site
    set_capacity(engine, slug, instant=600)
    for k in range(12):
        got = post(client, tok["warden1"], slug, gate, {"in": 50}, key=f"batch-{k}")
        assert got.status_code == 201, got.get_data(as_text=True)
    assert got.get_json() | {"id": 0, "at": ""} == {
        "occupancy": 600, "limit": 600, "status": "full", "id": 0, "checkpoint": gate,
        "in": 50, "out": 0, "at": "", "override": False,
    }  # fmt: skip
    refused = post(client, tok["warden1"], slug, gate, {"in": 1}, key="the-601st")
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert error["code"] == "at_capacity" and "600 of 600" in error["message"]
    assert error["details"] == {"occupancy": 600, "limit": 600, "room": 0, "reason": "limit"}
    out = post(client, tok["warden1"], slug, gate, {"out": 1}, key="one-out")
    assert out.status_code == 201 and out.get_json()["occupancy"] == 599
    assert out.get_json()["status"] == "near"
    again = post(
        client, tok["warden1"], slug, gate, {"in": 1}, key="the-601st"
    )  # now there is room
    assert again.status_code == 201 and again.get_json()["occupancy"] == 600
    replay = post(client, tok["warden1"], slug, gate, {"in": 1}, key="the-601st")
    assert replay.status_code == 201 and replay.get_json() == again.get_json()
    now = client.get(f"{API}/areas/{slug}/occupancy", headers=tok["warden1"]).get_json()
    assert {k: now[k] for k in ("occupancy", "limit", "status", "entries_today", "slots")} == {
        "occupancy": 600, "limit": 600, "status": "full", "entries_today": 601, "slots": [],
    }  # fmt: skip
    assert [(c["id"], c["name"], c["in"], c["out"]) for c in now["checkpoints"]] == [
        (gate, "north gate", 601, 1)
    ]
    other = post(client, tok["manager"], slug, gate, {"in": 1}, key="batch-0")
    assert other.status_code == 201 and other.get_json()["occupancy"] == 50  # the first answer


def test_sun_island_slots_through_the_api(site, engine):
    """Acceptance 2: 20,000 at 30 % is a limit of 6,000; three slots of 3,000: the 3,001st entry in
    a slot → 409, the next slot opens at its time."""
    client, tok, slug, gate = site
    made = set_capacity(
        engine, slug, max_capacity=20_000, percent=30,
        slots=["08:00-11:00=3000", "11:00-14:00=3000", "14:00-17:00=3000"],
    )  # fmt: skip
    assert made.limit == 6000
    day = "2026-01-10"
    for k in range(3):
        got = post(client, tok["manager"], slug, gate, {"in": 1000, "at": f"{day}T{8 + k:02d}:30"})
        assert got.status_code == 201
    assert got.get_json()["limit"] == 6000
    third = post(client, tok["manager"], slug, gate, {"in": 1, "at": f"{day}T10:59"})
    assert third.status_code == 409 and third.get_json()["error"]["details"]["reason"] == "slot"
    post(client, tok["manager"], slug, gate, {"out": 2000, "at": f"{day}T10:59"})
    opened = post(client, tok["manager"], slug, gate, {"in": 1, "at": f"{day}T11:00"})
    assert opened.status_code == 201 and opened.get_json()["occupancy"] == 1001
    then = client.get(f"{API}/areas/{slug}/occupancy?at={day}T11:05", headers=tok["planner"])
    body = then.get_json()
    assert body["slots"] == [
        {"from": "08:00", "to": "11:00", "quota": 3000, "entries": 3000},
        {"from": "11:00", "to": "14:00", "quota": 3000, "entries": 1},
        {"from": "14:00", "to": "17:00", "quota": 3000, "entries": 0},
    ]
    assert body["current_slot"]["from"] == "11:00" and body["next_slot"]["from"] == "14:00"
    curve = client.get(
        f"{API}/areas/{slug}/occupancy/curve?day={day}&step=60", headers=tok["manager"]
    ).get_json()
    assert curve["times"][8:12] == ["08:00", "09:00", "10:00", "11:00"]
    assert curve["occupancy"][8:12] == [1000, 2000, 3000, 1001] and curve["limit"] == 6000


def test_overrides_who_may_count_and_bad_bodies(site, engine):
    client, tok, slug, gate = site
    set_capacity(engine, slug, instant=1)
    assert post(client, tok["warden1"], slug, gate, {"in": 1}).status_code == 201
    got = post(client, tok["warden1"], slug, gate, {"in": 1, "override": True, "reason": "x"})
    assert got.status_code == 403
    got = post(client, tok["manager"], slug, gate, {"in": 2, "override": True, "reason": "团队"})
    assert got.status_code == 201 and got.get_json() | {"id": 0, "at": ""} == {
        "occupancy": 3, "limit": 1, "status": "full", "id": 0, "checkpoint": gate, "in": 2,
        "out": 0, "at": "", "override": True,
    }  # fmt: skip
    assert post(client, tok["warden2"], slug, gate, {"in": 1}).status_code == 403
    assert client.get(f"{API}/areas/{slug}/occupancy", headers=tok["warden2"]).status_code == 403
    for body, words in [
        ({}, '"in" or "out"'),
        ({"in": -1}, "whole number"),
        ({"in": True}, "whole number"),
        ({"in": 1, "extra": 1}, 'unknown field "extra"'),
        ({"out": 9}, "only 3 people inside"),
        ({"in": 1, "at": "yesterday"}, "not an ISO time"),
    ]:
        bad = post(client, tok["manager"], slug, gate, body)
        assert bad.status_code == 422 and words in bad.get_json()["error"]["message"], body
    missing = post(client, tok["manager"], slug, 999, {"in": 1})
    assert (
        missing.status_code == 404 and "no checkpoint 999" in missing.get_json()["error"]["message"]
    )
    # an id past the databases' integer is not found (PostgreSQL refused the query: a 500 before)
    huge = post(client, tok["manager"], slug, 2**54, {"in": 1})
    assert (
        huge.status_code == 404 and f"no checkpoint {2**54}" in huge.get_json()["error"]["message"]
    )
    elsewhere = add_checkpoint(engine, slug, name="east", lon=PARK_GATE[0], lat=PARK_GATE[1])
    assert post(client, tok["warden1"], slug, elsewhere.id, {"in": 1}).status_code == 403
    key = uuid.uuid4().hex
    assert post(client, tok["manager"], slug, gate, {"out": 1}, key=key).status_code == 201
    assert post(client, tok["manager"], slug, elsewhere.id, {"out": 1}, key=key).status_code == 409
    listed = client.get(f"{API}/areas/{slug}/checkpoints", headers=tok["planner"]).get_json()
    assert [(c["name"], c["wardens"]) for c in listed] == [
        ("north gate", [{"name": "warden1", "shift": None}]), ("east", []),
    ]  # fmt: skip


def test_the_coverage_report_names_unstaffed_and_unattended_checkpoints(site, engine):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    client, tok, slug, gate = site
    bare = add_checkpoint(engine, slug, name="east", lon=PARK_GATE[0], lat=PARK_GATE[1]).id
    local = datetime.now(ZoneInfo("Asia/Shanghai"))
    # north gate: warden1 all day, no count yet: unattended once the day is 15 minutes old
    early = local.hour == 0 and local.minute < 16
    report = client.get(f"{API}/areas/{slug}/coverage", headers=tok["manager"]).get_json()
    assert report["checkpoints"] | {"states": None} == {
        "total": 2, "unstaffed": [bare], "unattended": [] if early else [gate], "states": None,
    }  # fmt: skip
    assert post(client, tok["warden1"], slug, gate, {"in": 1}).status_code == 201
    report = client.get(f"{API}/areas/{slug}/coverage", headers=tok["manager"]).get_json()
    assert report["checkpoints"]["unattended"] == []
    assert {s["id"]: s["state"] for s in report["checkpoints"]["states"]} == {
        gate: "ok", bare: "unstaffed",
    }  # fmt: skip


def test_a_parents_occupancy_is_its_childrens_summed_through_the_api(site, engine, tmp_path):
    """Blocks imported under the gridded park take its gate with today's counts; the park's figures
    are then its blocks' summed, its limit theirs."""
    client, tok, slug, gate = site
    set_capacity(engine, slug, instant=80)
    assert post(client, tok["warden1"], slug, gate, {"in": 30}).status_code == 201
    assert post(client, tok["warden1"], slug, gate, {"out": 4}).status_code == 201
    outline = services.get_area(engine, slug).outline
    x0, y0, x1, y1 = outline.bounds
    mid = (x0 + x1) / 2
    features = [
        {"type": "Feature", "properties": {"name": name},
         "geometry": json.loads(shapely.to_geojson(shapely.box(a, y0, b, y1).intersection(outline)))}
        for name, a, b in (("west", x0, mid), ("east", mid, x1))
    ]  # fmt: skip
    path = tmp_path / "blocks.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    kids = import_areas(engine, path, parent=slug, level="block", name_field="name").slugs
    held = [k for k in kids if services.checkpoints.list_checkpoints(engine, k)]
    assert len(held) == 1  # the gate went to the block it stands in, with its counts
    for k in kids:
        set_capacity(engine, k, instant=60 if k in held else 40)
    child = client.get(f"{API}/areas/{held[0]}/occupancy", headers=tok["manager"]).get_json()
    assert (child["occupancy"], child["entries_today"], child["limit"]) == (26, 30, 60)
    parent = client.get(f"{API}/areas/{slug}/occupancy", headers=tok["manager"]).get_json()
    assert (parent["occupancy"], parent["limit"], parent["limit_from"]) == (26, 100, "children")
    assert [(c["id"], c["in"], c["out"]) for c in parent["checkpoints"]] == [(gate, 30, 4)]
