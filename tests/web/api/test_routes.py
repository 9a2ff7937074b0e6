"""The JSON API under /api/v1 (`web/api/routes.py`), on SQLite and PostGIS."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import shapely
import shapely.geometry

from conftest import ROOT
from webtools import (
    PASSWORD,
    api_token,
    call_generated,
    csrf_of,
    login,
    seed_checkpoint,
    seed_finding,
    seed_park,
)

API = "/api/v1"
SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[120.0, 36.0], [120.004, 36.0], [120.004, 36.003], [120.0, 36.003], [120.0, 36.0]]
    ],
}


@pytest.fixture
def park(engine, tmp_path):
    return seed_park(engine, tmp_path)


@pytest.fixture
def site(park, app_factory):
    """An app on the seeded park (uploads limited to 64 KB) and a token per login."""
    from gridmgr import services

    app = app_factory(MAX_UPLOAD_MB=1 / 16)
    engine = app.extensions["gridmgr.engine"]
    ids = {u.username: u.id for u in services.list_users(engine)}
    # tokens issued directly: POST /token checks a password hash, slow on purpose (test_web_auth)
    tokens = {
        u: {"Authorization": f"Bearer {services.issue_token(engine, ids[u])}"}
        for u in ("manager", "planner", "warden1", "warden2")
    }
    return app, app.test_client(), tokens, park


def _tomorrow_local(hhmm: str) -> str:
    """An ISO moment tomorrow in Shanghai (after any plan the test made), without offset."""
    day = (datetime.now(UTC) + timedelta(hours=8) + timedelta(days=1)).date()
    return f"{day.isoformat()}T{hhmm}"


def _error(resp, status: int) -> dict:
    """The error object of a response that must have this status and the one error shape."""
    assert resp.status_code == status, resp.get_data(as_text=True)
    body = resp.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert "Traceback" not in body["error"]["message"]
    return body["error"]


# --- each endpoint ---------------------------------------------------------------------------


def test_areas_list_add_and_read_back(site):
    _, client, tok, park = site
    listed = client.get(f"{API}/areas", headers=tok["manager"])
    assert listed.status_code == 200
    assert listed.get_json()[0] | {"area_m2": 0} == {
        "slug": park.slug,
        "name": "Haibin Park",
        "kind": "park",
        "area_m2": 0,
        "plan_version": 1,
        "cells": 30,
        "parent": None,
        "leader": None,
        "leader_phone": None,
        "deputy": None,
        "deputy_phone": None,
    }
    made = client.post(
        f"{API}/areas",
        headers=tok["planner"],
        json={"name": "Pier Square", "kind": "community", "geometry": SQUARE, "code": "370212"},
    )
    assert made.status_code == 201, made.get_data(as_text=True)
    assert made.headers["Location"] == f"{API}/areas/pier-square"
    assert made.get_json()["slug"] == "pier-square"
    assert 100_000 < made.get_json()["area_m2"] < 130_000
    feature = client.get(f"{API}/areas/pier-square", headers=tok["planner"]).get_json()
    assert feature["type"] == "Feature" and feature["id"] == "pier-square"
    assert feature["geometry"]["type"] == "Polygon"
    assert feature["properties"] | {"area_m2": 0} == {
        "slug": "pier-square",
        "name": "Pier Square",
        "kind": "community",
        "code": "370212",
        "timezone": "Asia/Shanghai",
        "area_m2": 0,
        "plan_version": None,
        "cells": 0,
        "parent": None,
        "leader": None,
        "leader_phone": None,
        "deputy": None,
        "deputy_phone": None,
    }
    empty = client.get(f"{API}/areas/pier-square/cells", headers=tok["manager"]).get_json()
    assert empty == {"type": "FeatureCollection", "features": []}
    long = client.post(
        f"{API}/areas", headers=tok["planner"], json={"name": "x" * 201, "geometry": SQUARE}
    )
    assert "at most 200 characters" in _error(long, 422)["message"]


def test_areas_accept_chinese_map_datums(site):
    _, client, tok, _ = site
    gcj = client.post(
        f"{API}/areas",
        headers=tok["planner"],
        json={"name": "GCJ", "geometry": SQUARE, "crs": "gcj02"},
    )
    assert gcj.status_code == 201
    west = client.get(f"{API}/areas/gcj", headers=tok["planner"]).get_json()
    xs = [p[0] for p in west["geometry"]["coordinates"][0]]
    assert 119.993 < min(xs) < 119.9999  # GCJ-02 lies east of WGS84 by a few hundred metres here


def test_areas_take_a_slug_or_read_the_name_in_pinyin(site):
    from gridmgr.web.api.openapi import openapi_document

    _, client, tok, _ = site
    h = tok["planner"]

    def add(**body):
        return client.post(f"{API}/areas", headers=h, json={"geometry": SQUARE, **body})

    made = add(name="儿童公园", kind="park")
    assert made.status_code == 201 and made.get_json()["slug"] == "ertong-gongyuan"
    assert made.headers["Location"] == f"{API}/areas/ertong-gongyuan"
    assert add(name="兆麟公园").get_json()["slug"] == "zhaolin-gongyuan"
    chosen = add(name="儿童公园", slug="haibin-ertong")
    assert chosen.status_code == 201 and chosen.get_json()["slug"] == "haibin-ertong"
    assert client.get(f"{API}/areas/haibin-ertong", headers=h).get_json()["id"] == "haibin-ertong"
    taken = _error(add(name="Other", slug="haibin-ertong"), 409)
    assert taken["code"] == "conflict"
    assert "slug 'haibin-ertong' is taken by the area '儿童公园'" in taken["message"]
    bad = _error(add(name="Other", slug="Haibin_Ertong"), 422)
    assert "lower-case letters a-z" in bad["message"] and "'haibin-ertong'" in bad["message"]
    assert "must be a string" in _error(add(name="Other", slug=7), 422)["message"]
    listed = [a["slug"] for a in client.get(f"{API}/areas", headers=h).get_json()]
    assert {"ertong-gongyuan", "zhaolin-gongyuan", "haibin-ertong"} <= set(listed)
    doc = openapi_document()
    assert doc["components"]["schemas"]["NewArea"]["properties"]["slug"]["type"] == "string"
    assert "409" in doc["paths"]["/areas"]["post"]["responses"]


def test_an_area_or_drawn_cell_with_no_area_gets_422_and_writes_nothing(site):
    """Three corners on one line (issue 12): refused as an area and as a drawn cell, with the error
    shape and the message the CLI gives; no area is added and the plan stays as it was."""
    _, client, tok, park = site
    flat = json.loads((ROOT / "tests" / "data" / "zero_area_by_rounding.geojson").read_text())
    h = tok["planner"]
    made = client.post(f"{API}/areas", headers=h, json={"name": "Flat", "geometry": flat})
    error = _error(made, 422)
    assert error["code"] == "invalid_input"
    assert "feature 0 (Polygon): the polygon encloses no area" in error["message"]
    cells = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "D1"}, "geometry": SQUARE},
        {"type": "Feature", "properties": {"code": "D2"}, "geometry": flat},
    ]}  # fmt: skip
    drawn = client.post(f"{API}/areas/{park.slug}/grid", headers=h, json={"cells": cells})
    assert "feature 1 (Polygon): the polygon encloses no area" in _error(drawn, 422)["message"]
    listed = client.get(f"{API}/areas", headers=h).get_json()
    assert [(a["slug"], a["plan_version"], a["cells"]) for a in listed] == [(park.slug, 1, 30)]


def test_grid_by_count_size_and_drawn_cells_with_dry_run(site):
    _, client, tok, park = site
    h = tok["planner"]
    dry = client.post(
        f"{API}/areas/{park.slug}/grid", headers=h, json={"count": 12, "dry_run": True}
    )
    assert dry.status_code == 200 and dry.get_json()["dry_run"] is True
    assert dry.get_json()["cells"] == 12 and "plan_version" not in dry.get_json()
    assert client.get(f"{API}/areas/{park.slug}", headers=h).get_json()["properties"]["cells"] == 30
    done = client.post(f"{API}/areas/{park.slug}/grid", headers=h, json={"count": 12})
    assert done.status_code == 201 and done.get_json()["plan_version"] == 2
    hexes = client.post(
        f"{API}/areas/{park.slug}/grid", headers=h, json={"cell_size": 60, "shape": "hex"}
    )
    assert hexes.status_code == 201 and hexes.get_json()["mode"] == "cell_size"
    cells = client.get(f"{API}/areas/{park.slug}/cells?fields=code", headers=h).get_json()
    drawn = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"code": f"D{k}"}, "geometry": f["geometry"]}
            for k, f in enumerate(cells["features"][:5])
        ],
    }
    imported = client.post(f"{API}/areas/{park.slug}/grid", headers=h, json={"cells": drawn})
    assert imported.status_code == 201, imported.get_data(as_text=True)
    report = imported.get_json()
    assert report["mode"] == "import" and report["cells"] == 5
    assert report["gaps_and_overlaps"]["coverage_error"] > 0.1  # most of the park is a gap now


def test_grid_balances_a_weight_given_in_the_body(site):
    """Issue 18 as an API addition: "weight" (points with "weight_field") and "target_weight"."""
    _, client, tok, park = site
    h = tok["planner"]
    cells = client.get(f"{API}/areas/{park.slug}/cells?fields=code", headers=h).get_json()
    # 40 entrances in each of the first 3 cells' corners, 1 in each other cell, 2 people each
    points = []
    for k, f in enumerate(cells["features"]):
        lon, lat = shapely.geometry.shape(f["geometry"]).representative_point().coords[0]
        points += [[lon, lat]] * (40 if k < 3 else 1)
    weight = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"people": 2}, "geometry": {"type": "Point", "coordinates": xy}}
        for xy in points
    ]}  # fmt: skip
    body = {"target_weight": 30, "weight": weight, "weight_field": "people", "dry_run": True}
    got = client.post(f"{API}/areas/{park.slug}/grid", headers=h, json=body)
    assert got.status_code == 200, got.get_data(as_text=True)
    report = got.get_json()
    assert report["cells"] == 2 * (3 * 40 + 27) // 30 + 1  # ceil(294 / 30) = 10
    assert report["quality"]["weight_total"] == 294
    bad = client.post(
        f"{API}/areas/{park.slug}/grid", headers=h, json={**body, "weight_field": "n"}
    )
    assert "no field 'n' to weigh by" in _error(bad, 422)["message"]
    lonely = client.post(f"{API}/areas/{park.slug}/grid", headers=h, json={"target_weight": 30})
    assert '"target_weight" and "weight_field" need "weight"' in _error(lonely, 422)["message"]


def test_cells_of_a_weighted_plan_carry_their_weight(site):
    """A plan made with a weight serves each cell's weight, in GeoJSON and compact alike, summing to
    the weight given; a plan made without one has no weight property."""
    _, client, tok, park = site
    h = tok["planner"]
    cells = client.get(f"{API}/areas/{park.slug}/cells?fields=code", headers=h).get_json()
    assert "weight" not in cells["features"][0]["properties"]
    # a new area on the same ground, so the module's park keeps its plan for the other tests
    outline = client.get(f"{API}/areas/{park.slug}", headers=h).get_json()["geometry"]
    added = client.post(f"{API}/areas", headers=h, json={"name": "Weighed", "geometry": outline})
    assert added.status_code == 201, added.get_data(as_text=True)
    slug = added.get_json()["slug"]
    points = [
        shapely.geometry.shape(f["geometry"]).representative_point().coords[0]
        for f in cells["features"]
    ]
    weight = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"people": 1 + k % 4}, "geometry": {"type": "Point", "coordinates": xy}}
        for k, xy in enumerate(points)
    ]}  # fmt: skip
    total = sum(1 + k % 4 for k in range(len(points)))
    body = {"count": 6, "weight": weight, "weight_field": "people"}
    made = client.post(f"{API}/areas/{slug}/grid", headers=h, json=body)
    assert made.status_code == 201, made.get_data(as_text=True)
    fc = client.get(f"{API}/areas/{slug}/cells", headers=h).get_json()
    weights = [f["properties"]["weight"] for f in fc["features"]]
    assert len(weights) == 6 and sum(weights) == pytest.approx(total, abs=0.01)
    compact = client.get(
        f"{API}/areas/{slug}/cells?format=compact&fields=code,weight", headers=h
    ).get_json()
    assert compact["columns"]["weight"] == weights
    only = client.get(f"{API}/areas/{slug}/cells?fields=weight", headers=h).get_json()
    assert [f["properties"] for f in only["features"]] == [{"weight": w} for w in weights]


def test_cells_feature_collection_with_fields_and_precision(site):
    _, client, tok, park = site
    got = client.get(f"{API}/areas/{park.slug}/cells", headers=tok["manager"])
    assert got.status_code == 200 and got.mimetype == "application/json"
    fc = got.get_json()
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 30
    first = fc["features"][0]
    assert first["type"] == "Feature" and first["geometry"]["type"] in ("Polygon", "MultiPolygon")
    props = first["properties"]
    assert list(props) == ["code", "area_m2", "wardens", "schedule", "status"]
    assert props["code"] == park.codes[0]
    assert props["wardens"] == [{"name": "warden1", "role": "member"}]
    assert props["schedule"] == {"times": ["08:00", "12:00", "18:00"], "extra": 1}
    assert props["status"] in ("ok", "due", "overdue")
    trimmed = client.get(
        f"{API}/areas/{park.slug}/cells?fields=status,code&precision=5", headers=tok["planner"]
    ).get_json()
    assert list(trimmed["features"][0]["properties"]) == ["code", "status"]
    coords = trimmed["features"][0]["geometry"]["coordinates"]
    flat = coords[0] if trimmed["features"][0]["geometry"]["type"] == "Polygon" else coords[0][0]
    assert all(round(v, 5) == v for xy in flat for v in xy)
    for bad in ("fields=code,colour", "precision=9", "precision=x", "fields="):
        got = client.get(f"{API}/areas/{park.slug}/cells?{bad}", headers=tok["manager"])
        assert got.status_code == 422, bad


def test_cells_status_follows_the_coverage_report(site, engine):
    from gridmgr import services
    from gridmgr.services.posts import set_cell_wardens

    _, client, tok, park = site
    set_cell_wardens(engine, park.slug, park.codes[3], [])
    at = _tomorrow_local("08:15")
    fc = client.get(f"{API}/areas/{park.slug}/cells?at={at}", headers=tok["manager"]).get_json()
    report = services.coverage_report(engine, park.slug, at=at, with_cells=True)
    assert [f["properties"]["status"] for f in fc["features"]] == list(report.cells.status)
    assert fc["features"][3]["properties"]["status"] == "unstaffed"
    assert fc["features"][3]["properties"]["wardens"] == []


def test_coverage_json_equals_the_cli_output(site, db_url):
    _, client, tok, park = site
    at = _tomorrow_local("12:40")
    got = client.get(f"{API}/areas/{park.slug}/coverage?at={at}", headers=tok["planner"])
    assert got.status_code == 200
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "gridmgr",
            "--db",
            db_url,
            "coverage",
            park.slug,
            "--at",
            at,
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert got.get_json() == json.loads(cli.stdout)
    report = got.get_json()
    for key in ("area_m2", "covered_m2", "coverage_ratio", "gaps", "overlaps", "cells_total"):
        assert key in report
    scheduled = report["due"] + report["overdue"] + report["ok"]
    assert sorted(scheduled) == sorted(park.codes)  # each scheduled cell in exactly one list
    day = client.get(
        f"{API}/areas/{park.slug}/coverage?at={at}&day={at[:10]}", headers=tok["manager"]
    ).get_json()
    assert len(day["day"]["cells"]) == 30


def test_put_wardens_and_schedule(site):
    _, client, tok, park = site
    h = tok["manager"]
    code = park.codes[4]
    got = client.put(
        f"{API}/areas/{park.slug}/cells/{code}/wardens",
        headers=h,
        json={"wardens": [{"name": "warden9", "role": "leader"}, {"name": "warden10"}]},
    )
    assert got.status_code == 200
    assert got.get_json()["wardens"] == [
        {"name": "warden9", "role": "leader"},
        {"name": "warden10", "role": "member"},
    ]
    sched = client.put(
        f"{API}/areas/{park.slug}/cells/{code}/schedule",
        headers=h,
        json={"times": ["07:30", "19:00"], "extra": 2},
    )
    assert sched.status_code == 200
    assert sched.get_json() == {
        "area": park.slug,
        "cell": code,
        "times": ["07:30", "19:00"],
        "extra": 2,
    }
    fc = client.get(f"{API}/areas/{park.slug}/cells", headers=h).get_json()
    props = fc["features"][4]["properties"]
    assert props["wardens"] == [
        {"name": "warden9", "role": "leader"},
        {"name": "warden10", "role": "member"},
    ]
    assert props["schedule"] == {"times": ["07:30", "19:00"], "extra": 2}
    bad = client.put(
        f"{API}/areas/{park.slug}/cells/{code}/schedule", headers=h, json={"times": ["8am"]}
    )
    assert "round times must be HH:MM" in _error(bad, 422)["message"]
    bad = client.put(
        f"{API}/areas/{park.slug}/cells/{code}/wardens",
        headers=h,
        json={"wardens": [{"name": "warden9", "role": "captain"}]},
    )
    assert "unknown role 'captain'" in _error(bad, 422)["message"]


def test_rounds_by_a_warden_and_idempotent_retries(site, engine):
    from gridmgr.db.models import Round
    from gridmgr.db.store import reading

    _, client, tok, park = site
    url = f"{API}/areas/{park.slug}/cells/{park.codes[0]}/rounds"
    now = client.post(url, headers=tok["warden1"])
    assert now.status_code == 201 and now.get_json()["warden"] == "warden1"
    keyed = {**tok["warden1"], "Idempotency-Key": "phone-42-round-7"}
    first = client.post(url, headers=keyed, json={"note": "gate and benches"})
    assert first.status_code == 201
    again = client.post(url, headers=keyed, json={"note": "gate and benches"})
    assert again.status_code == 200 and again.get_json() == first.get_json()
    with reading(engine) as s:
        assert s.query(Round).filter(Round.idempotency_key == "phone-42-round-7").count() == 1
        assert s.query(Round).count() == 2
    other_cell = f"{API}/areas/{park.slug}/cells/{park.codes[1]}/rounds"
    reused = client.post(
        other_cell, headers={**tok["warden2"], "Idempotency-Key": "phone-42-round-7"}
    )
    assert "already used" in _error(reused, 409)["message"]
    by_manager = client.post(
        url, headers=tok["manager"], json={"warden": "warden1", "at": "2026-01-02T08:05"}
    )
    assert (
        by_manager.status_code == 201 and by_manager.get_json()["at"] == "2026-01-02T08:05:00+08:00"
    )
    assert "warden" in _error(client.post(url, headers=tok["manager"], json={}), 422)["message"]
    future = client.post(url, headers=tok["warden1"], json={"at": "2999-01-01T08:00"})
    assert "future" in _error(future, 422)["message"]


def test_concurrent_retries_with_one_key_store_one_round(site, engine):
    from gridmgr.db.models import Round
    from gridmgr.db.store import reading

    app, _, tok, park = site
    url = f"{API}/areas/{park.slug}/cells/{park.codes[0]}/rounds"
    headers = {**tok["warden1"], "Idempotency-Key": "same-tap-twice"}
    answers: list[int] = []

    def post():
        answers.append(app.test_client().post(url, headers=headers).status_code)

    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [200, 200, 200, 201]
    with reading(engine) as s:
        assert s.query(Round).count() == 1


def test_me_cells(site):
    _, client, tok, park = site
    client.post(f"{API}/areas/{park.slug}/cells/{park.codes[1]}/rounds", headers=tok["warden2"])
    got = client.get(f"{API}/me/cells", headers=tok["warden2"])
    assert got.status_code == 200
    body = got.get_json()
    assert body["warden"] == "warden2"
    (cell,) = body["cells"]
    assert cell["code"] == park.codes[1] and cell["area"] == park.slug
    assert cell["last_round"] is not None
    assert {r["status"] for r in cell["rounds"]} <= {"done", "late", "due", "overdue", "upcoming"}
    # the schedule was set minutes ago: only the rounds whose window was still open then are listed
    day = body["at"][:10]
    # a second on: the answer's `at` is cut to the second, and the plan may date from within it
    moment = (datetime.fromisoformat(body["at"][:19]) + timedelta(seconds=1)).isoformat()
    report = client.get(
        f"{API}/areas/{park.slug}/coverage?at={moment}&day={day}", headers=tok["manager"]
    ).get_json()
    assert "day" in report, report
    row = next(r for r in report["day"]["cells"] if r["code"] == park.codes[1])
    assert len(cell["rounds"]) + cell["extra"]["expected"] == row["expected"]


# --- every error status --------------------------------------------------------------------------


def test_400_for_a_body_that_is_not_json(site):
    _, client, tok, park = site
    for body in ("{not json", '{"count": 3', "\xff\xfe"):
        got = client.post(
            f"{API}/areas/{park.slug}/grid",
            headers=tok["planner"],
            data=body.encode("latin-1"),
            content_type="application/json",
        )
        assert _error(got, 400)["code"] == "malformed_json"
    assert _error(client.post(f"{API}/areas", headers=tok["planner"], json=[1, 2]), 422)


def test_401_without_a_good_token(site, engine):
    from gridmgr import services

    _, client, tok, park = site
    for headers in ({}, {"Authorization": "Bearer garbage"}, {"Authorization": "Basic bWU6eW91"}):
        got = client.get(f"{API}/areas/{park.slug}/cells", headers=headers)
        assert _error(got, 401)["code"] == "unauthorized"
    token = tok["manager"]["Authorization"][7:]
    assert client.get(f"{API}/areas", headers=tok["manager"]).status_code == 200
    services.revoke_token(engine, token)
    assert _error(client.get(f"{API}/areas", headers=tok["manager"]), 401)


def test_403_for_a_warden_outside_its_cells(site):
    _, client, tok, park = site
    url = f"{API}/areas/{park.slug}/cells/{park.codes[1]}/rounds"
    got = client.post(url, headers=tok["warden1"], json={"note": "not mine"})
    assert "does not hold cell" in _error(got, 403)["message"]
    got = client.post(url, headers=tok["warden1"], json={"warden": "warden2"})
    assert _error(got, 403)
    for path in (
        "/areas",
        f"/areas/{park.slug}",
        f"/areas/{park.slug}/cells",
        f"/areas/{park.slug}/coverage",
    ):
        assert _error(client.get(API + path, headers=tok["warden1"]), 403)["code"] == "forbidden"


def test_404_for_unknown_areas_and_cells(site):
    _, client, tok, park = site
    assert (
        "no area 'atlantis'"
        in _error(client.get(f"{API}/areas/atlantis", headers=tok["manager"]), 404)["message"]
    )
    assert _error(client.get(f"{API}/areas/atlantis/cells", headers=tok["manager"]), 404)
    assert _error(client.get(f"{API}/areas/atlantis/coverage", headers=tok["planner"]), 404)
    got = client.put(
        f"{API}/areas/{park.slug}/cells/NOPE-1/schedule",
        headers=tok["manager"],
        json={"times": ["08:00"]},
    )
    assert "no cell 'NOPE-1'" in _error(got, 404)["message"]
    got = client.post(f"{API}/areas/{park.slug}/cells/NOPE-1/rounds", headers=tok["warden1"])
    assert _error(got, 404)
    assert _error(client.get(f"{API}/no/such/thing", headers=tok["manager"]), 404)


def test_409_when_another_regrid_commits_first(site, engine, monkeypatch):
    """The API's re-grid reads the plan, then a CLI re-grid commits; the API's write is refused.
    The API's request is held after it has cut its cells (it read the plan before) until the CLI's
    re-grid has committed: the interleaving is set, not left to timing (a faster cut once always
    committed first)."""
    from gridmgr import services
    from gridmgr.services import plans

    app, _, tok, park = site
    answers: list = []
    cut, other_committed = threading.Event(), threading.Event()
    real_cut = plans.cells_from_area

    def cut_then_wait(*args, **kwargs):
        cells = real_cut(*args, **kwargs)
        if threading.current_thread() is api:
            cut.set()
            assert other_committed.wait(60)
        return cells

    monkeypatch.setattr(plans, "cells_from_area", cut_then_wait)

    def api_regrid():
        answers.append(app.test_client().post(
            f"{API}/areas/{park.slug}/grid", headers=tok["planner"], json={"count": 400}
        ))  # fmt: skip

    api = threading.Thread(target=api_regrid)
    api.start()
    try:
        assert cut.wait(60)  # the API has read the plan and cut its 400 cells
        services.grid(engine, park.slug, count=8)
    finally:
        other_committed.set()
        api.join()
    err = _error(answers[-1], 409)
    assert err["code"] == "conflict" and "re-gridded by someone else" in err["message"]
    assert len(services.plan_cells(engine, park.slug)) == 8  # the CLI's plan, the API's not written


def test_413_for_a_body_over_the_upload_limit(site):
    _, client, tok, _ = site
    ring = [[120 + k * 1e-6, 36.0] for k in range(5000)]
    big = {"name": "Huge", "geometry": {"type": "Polygon", "coordinates": [ring]}}
    got = client.post(f"{API}/areas", headers=tok["planner"], json=big)
    assert "larger than the limit" in _error(got, 413)["message"]


def test_422_names_the_feature_at_fault(site):
    _, client, tok, park = site
    fc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"name": "ok"}, "geometry": SQUARE},
            {
                "type": "Feature",
                "properties": {"name": "East Gate"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[120, 36], ["120.1", 36], [120, 36.1], [120, 36]]],
                },
            },
        ],
    }
    got = client.post(f"{API}/areas", headers=tok["planner"], json={"name": "Bad", "geometry": fc})
    msg = _error(got, 422)["message"]
    assert msg.startswith('request body: feature 1 ("East Gate", Polygon)') and "string" in msg
    got = client.post(
        f"{API}/areas/{park.slug}/grid",
        headers=tok["planner"],
        json={
            "cells": {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1]]]},
                    }
                ],
            }
        },
    )
    assert "request body: feature 0 (Polygon)" in _error(got, 422)["message"]
    assert _error(
        client.post(f"{API}/areas", headers=tok["planner"], json={"geometry": SQUARE}), 422
    )
    got = client.post(
        f"{API}/areas/{park.slug}/grid", headers=tok["planner"], json={"count": 3, "cell_size": 9}
    )
    assert "exactly one of" in _error(got, 422)["message"]
    got = client.post(f"{API}/areas/{park.slug}/grid", headers=tok["planner"], json={"count": "3"})
    assert '"count" must be a whole number' in _error(got, 422)["message"]
    assert _error(
        client.get(f"{API}/areas/{park.slug}/coverage?at=yesterday", headers=tok["manager"]), 422
    )


# --- who may do what ----------------------------------------------------------------------------

ROLES = ("anonymous", "manager", "planner", "warden1")
ALLOWED = {
    "GET /areas": {"manager", "planner"},
    "POST /areas": {"planner"},
    "GET /areas/{slug}": {"manager", "planner"},
    "POST /areas/{slug}/grid": {"planner"},
    "GET /areas/{slug}/cells": {"manager", "planner"},
    "GET /areas/{slug}/coverage": {"manager", "planner"},
    "PUT /areas/{slug}/cells/{code}/wardens": {"manager"},
    "PUT /areas/{slug}/cells/{code}/schedule": {"manager"},
    "POST /areas/{slug}/cells/{code}/rounds": {"warden1", "manager"},
    "GET /areas/{slug}/cells/{code}/rounds": {"manager", "planner", "warden1"},
    "GET /me/cells": {"warden1"},
    "GET /audit": {"manager"},
    # findings (tests/web/api/test_findings.py): each request on a finding made for it
    "POST /areas/{slug}/cells/{code}/findings": {"warden1", "manager"},
    "GET /areas/{slug}/findings": {"manager", "planner", "warden1"},
    "GET /areas/{slug}/ledger": {"manager", "planner"},
    "GET /findings/{finding_id}": {"manager", "planner", "warden1"},
    "POST /findings/{finding_id}/photos": {"warden1", "manager"},
    "POST /findings/{finding_id}/fix": {"warden1", "manager"},
    "POST /findings/{finding_id}/close": {"manager"},
    "POST /findings/{finding_id}/reopen": {"manager"},
    "POST /findings/{finding_id}/extend": {"manager"},
    "GET /categories": {"manager", "planner", "warden1"},
    "POST /categories": {"manager"},
    "GET /me/findings": {"warden1"},
    "GET /photos/{photo_id}": {"manager", "planner", "warden1"},
    # checkpoints (tests/web/api/test_checkpoints.py): warden1 is posted at the park's gate
    "POST /areas/{slug}/checkpoints/{checkpoint_id}/counts": {"warden1", "manager"},
    "GET /areas/{slug}/occupancy": {"manager", "planner", "warden1"},
    "GET /areas/{slug}/occupancy/curve": {"manager", "planner", "warden1"},
    "GET /areas/{slug}/checkpoints": {"manager", "planner"},
    # nested areas (tests/web/api/test_rollup.py)
    "GET /areas/{slug}/rollup": {"manager", "planner"},
    # vector tiles (tests/web/api/test_tiles.py): a tile holding the park
    "GET /areas/{slug}/tiles/{z}/{x}/{y}.mvt": {"manager", "planner"},
}
BODIES = {
    "POST /areas": {"name": "Matrix", "geometry": SQUARE},
    "POST /areas/{slug}/grid": {"count": 5, "dry_run": True},
    "PUT /areas/{slug}/cells/{code}/wardens": {"wardens": [{"name": "warden1"}]},
    "PUT /areas/{slug}/cells/{code}/schedule": {"times": ["08:00"], "extra": 0},
    "POST /areas/{slug}/cells/{code}/rounds": {"warden": "warden1"},
    "POST /areas/{slug}/cells/{code}/findings": {
        "category": "masks",
        "text": "x",
        "fixed_now": True,
    },
    "POST /findings/{finding_id}/extend": {"deadline": "2099-12-31", "reason": "rain"},
    "POST /categories": {"names": ["Fire exits=消防通道"]},
    "POST /areas/{slug}/checkpoints/{checkpoint_id}/counts": {"in": 1},
}


PARK_TILE = {"z": 14, "x": 13674, "y": 6427}  # the tile holding the demo park


def _matrix_ids(engine, park, endpoint: str) -> dict[str, int]:
    """A finding (and photo) of warden1's cell in the state the endpoint acts on, made for one
    request: open for fix, close and extend; closed for reopen."""
    if "checkpoint" in endpoint or "occupancy" in endpoint:
        return seed_checkpoint(engine, park)
    if "{z}" in endpoint:
        return PARK_TILE
    if "{finding_id}" not in endpoint and "{photo_id}" not in endpoint:
        return {}
    return seed_finding(engine, park, closed=endpoint.endswith("/reopen"))


def _matrix_request(client, method: str, url: str, endpoint: str, headers: dict):
    if endpoint == "POST /findings/{finding_id}/photos":
        import io

        from PIL import Image

        jpeg = io.BytesIO()
        Image.new("RGB", (8, 8)).save(jpeg, format="JPEG")
        return client.post(
            url, headers=headers, data={"file": (io.BytesIO(jpeg.getvalue()), "p.jpg")},
            content_type="multipart/form-data",
        )  # fmt: skip
    return client.open(url, method=method, headers=headers, json=BODIES.get(endpoint))


def test_authorisation_matrix(site):
    app, client, tok, park = site
    seen = set()
    for endpoint, allowed in ALLOWED.items():
        method, path = endpoint.split(" ")
        for role in ROLES:
            ids = _matrix_ids(app.extensions["gridmgr.engine"], park, endpoint)
            url = API + path.format(slug=park.slug, code=park.codes[0], **ids)
            headers = {} if role == "anonymous" else tok[role]
            got = _matrix_request(client, method, url, endpoint, headers)
            if role in allowed:
                assert got.status_code in (200, 201), (endpoint, role, got.get_data(as_text=True))
            elif role != "anonymous":
                assert got.status_code == 403, (endpoint, role)
            else:  # no token and no session: 401, whatever the method
                assert got.status_code == 401, endpoint
                bogus = {"Authorization": "Bearer not-a-token"}
                again = _matrix_request(client, method, url, endpoint, bogus)
                assert again.status_code == 401, endpoint
            seen.add(endpoint)
    from gridmgr.web.api.openapi import openapi_document

    documented = {
        f"{m.upper()} {p}"
        for p, ops in openapi_document()["paths"].items()
        for m in ops
        if m != "parameters"
    }
    # DELETE /token revokes the token it carries: each role in test_a_revoked_token_answers_401
    assert documented - seen == {"POST /token", "DELETE /token", "GET /openapi.json"}


def test_the_browser_session_reads_cells_and_needs_csrf_to_write(site):
    app, _, _, park = site
    browser = app.test_client()
    login(browser, "manager")
    assert browser.get(f"{API}/areas/{park.slug}/cells?fields=code,status").status_code == 200
    url = f"{API}/areas/{park.slug}/cells/{park.codes[0]}/schedule"
    assert _error(browser.put(url, json={"times": ["09:00"]}), 400)["code"] == "csrf"
    token = csrf_of(browser, "/areas")
    assert (
        browser.put(url, json={"times": ["09:00"]}, headers={"X-CSRF-Token": token}).status_code
        == 200
    )
    assert (
        browser.post(f"{API}/token", json={"username": "manager", "password": PASSWORD}).status_code
        == 200
    )


# --- speed and the schema ---------------------------------------------------------------------


def test_cells_of_a_10000_cell_plan_come_whole(engine, app_factory, tmp_path):
    from gridmgr import services

    box = {
        "type": "Polygon",
        "coordinates": [
            [[120.0, 36.0], [120.05, 36.0], [120.05, 36.04], [120.0, 36.04], [120.0, 36.0]]
        ],
    }
    slug = services.add_area(engine, geojson=box, name="Big").slug
    assert services.grid(engine, slug, cell_size=44.5).cells >= 10_000
    services.add_warden(engine, "solo")
    services.auto_assign(engine, slug)
    services.set_schedule(engine, slug, None, extra=2)
    services.add_user(engine, "boss", role="manager", password=PASSWORD)
    client = app_factory().test_client()
    headers = api_token(client, "boss")
    got = client.get(f"{API}/areas/{slug}/cells", headers=headers)  # its speed: bench_web.py
    assert got.status_code == 200
    features = got.get_json()["features"]
    assert len(features) == services.list_areas(engine)[0].cells >= 10_000
    assert {f["properties"]["status"] for f in features} <= {"ok", "due", "overdue"}


def test_openapi_document_is_valid_and_served(site):
    from openapi_spec_validator import validate

    _, client, _, _ = site
    doc = client.get(f"{API}/openapi.json").get_json()
    validate(doc)
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_schemathesis_against_the_apps_own_schema(site):
    """Generated requests as a manager to every operation, with made-up and with real slugs and codes,
    and as a planner and a warden to what only they may do: every answer is documented, matches its
    schema, and none is a server error."""
    import schemathesis
    from schemathesis.checks import (
        content_type_conformance,
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
    )

    app, _, tok, park = site
    schema = schemathesis.openapi.from_wsgi(f"{API}/openapi.json", app)
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    real = {"slug": park.slug, "code": park.codes[5]}
    real |= _matrix_ids(app.extensions["gridmgr.engine"], park, "{finding_id}")
    real |= seed_checkpoint(app.extensions["gridmgr.engine"], park)
    real |= PARK_TILE
    runs = []  # (who, strategy)
    for result in schema.get_all_operations():
        op = result.ok()
        names = {p.name for p in op.path_parameters}
        if op.label == "DELETE /token":  # revokes the token it carries: give it one of its own
            from gridmgr import services

            engine = app.extensions["gridmgr.engine"]
            spare = services.issue_token(engine, services.list_users(engine)[0].id)
            tok["spare"] = {"Authorization": f"Bearer {spare}"}
            runs.append(("spare", op.as_strategy()))
            continue
        runs.append(("manager", op.as_strategy()))
        if names:
            runs.append(("manager", op.as_strategy(path_parameters={k: real[k] for k in names})))
    own = {"slug": park.slug, "code": park.codes[0]}  # warden1's cell
    runs += [
        ("planner", schema.find_operation_by_label("POST /areas").as_strategy()),
        ("warden1", schema.find_operation_by_label("GET /me/cells").as_strategy()),
        (
            "warden1",
            schema.find_operation_by_label("POST /areas/{slug}/cells/{code}/rounds").as_strategy(
                path_parameters=own
            ),
        ),
    ]
    for who, strategy in runs:
        call_generated(strategy, tok[who], checks, examples=12)


# --- the compact cells format -------------------------------------------------------------------


def _decode_compact(doc: dict) -> list[dict]:
    """GeoJSON-like features from the compact format, decoded as docs/api.md describes it."""
    import numpy as np

    scale = 10.0 ** doc["precision"]
    origin = np.asarray(doc["origin"], dtype=np.int64)
    geo, tables, n = doc["geometries"], doc["tables"], doc["count"]
    steps = np.asarray(geo["coords"], dtype=np.int64).reshape(-1, 2)
    rings, at = [], 0
    for count in geo["vertices"]:
        xy = np.cumsum(steps[at : at + count], axis=0) + origin  # the first step is from the origin
        at += count
        ring = (xy / scale).tolist()
        rings.append(ring + ring[:1])
    assert at == len(steps)
    polygons, at = [], 0
    for count in geo["rings"]:
        polygons.append(rings[at : at + count])
        at += count
    geometries, at = [], 0
    for k, count in enumerate(geo["parts"]):
        parts = polygons[at : at + count]
        at += count
        multi = k in geo["multi"]
        geometries.append(
            {"type": "MultiPolygon", "coordinates": parts}
            if multi
            else {"type": "Polygon", "coordinates": parts[0]}
        )
    columns: dict[str, list] = {}
    for name, column in doc["columns"].items():
        if name == "code" and isinstance(column, dict):
            width = column["width"]
            columns[name] = [f"{column['prefix']}{v:0{width}d}" for v in column["numbers"]]
        elif name == "wardens":
            posts, at, lists = column["posts"], 0, []
            for count in column["counts"]:
                lists.append(
                    [
                        {"name": tables["wardens"][i][0], "role": tables["wardens"][i][1]}
                        for i in posts[at : at + count]
                    ]
                )
                at += count
            columns[name] = lists
        elif name in ("status", "schedule"):
            columns[name] = [None if i is None else tables[name][i] for i in column]
        else:
            columns[name] = column
        assert len(columns[name]) == n, name
    return [
        {"geometry": g, "properties": {k: v[i] for k, v in columns.items()}}
        for i, g in enumerate(geometries)
    ]


def _same_geometry(a: dict, b: dict, tolerance: float) -> bool:
    """Same type, same nesting of parts and rings, every vertex within `tolerance` degrees."""
    import numpy as np

    if a["type"] != b["type"]:
        return False
    parts_a = a["coordinates"] if a["type"] == "MultiPolygon" else [a["coordinates"]]
    parts_b = b["coordinates"] if b["type"] == "MultiPolygon" else [b["coordinates"]]
    if [len(p) for p in parts_a] != [len(p) for p in parts_b]:
        return False
    for pa, pb in zip(parts_a, parts_b, strict=True):
        for ra, rb in zip(pa, pb, strict=True):
            xa, xb = np.asarray(ra), np.asarray(rb)
            if xa.shape != xb.shape or np.abs(xa - xb).max() > tolerance:
                return False
    return True


def test_compact_cells_decode_to_the_geojson_cells(site, engine):
    """Every field and geometry of ?format=compact decodes to the GeoJSON answer's, within the
    quantisation, for the 30-cell park (an island: a MultiPolygon) and a 10-cell one (the pond: a
    hole), with cells of two wardens, none, and different schedules or none."""
    from gridmgr import services
    from gridmgr.services.posts import set_cell_wardens

    _, client, tok, park = site
    seen = {"MultiPolygon": 0, "hole": 0, "two wardens": 0, "no warden": 0}
    for count in (30, 10):
        if count == 10:
            services.grid(engine, park.slug, count=10)
        codes = list(services.plan_cells(engine, park.slug)["code"])
        set_cell_wardens(
            engine,
            park.slug,
            codes[1],
            [{"name": "warden7", "role": "leader"}, {"name": "warden8", "role": "volunteer"}],
        )
        set_cell_wardens(engine, park.slug, codes[2], [])
        services.set_schedule(engine, park.slug, codes[3:5], times=["09:30"], extra=0)
        url = f"{API}/areas/{park.slug}/cells"
        geojson = client.get(url, headers=tok["manager"]).get_json()
        got = client.get(f"{url}?format=compact&precision=6", headers=tok["manager"])
        assert got.status_code == 200 and got.mimetype == "application/json"
        compact = got.get_json()
        assert compact["format"] == "compact" and compact["count"] == len(codes)
        decoded = _decode_compact(compact)
        assert len(decoded) == len(geojson["features"]) == len(codes)
        for mine, theirs in zip(decoded, geojson["features"], strict=True):
            assert mine["properties"] == theirs["properties"], theirs["properties"]["code"]
            assert _same_geometry(mine["geometry"], theirs["geometry"], 0.6e-6), mine["properties"]
            geometry = theirs["geometry"]
            multi = geometry["type"] == "MultiPolygon"
            polygons = geometry["coordinates"] if multi else [geometry["coordinates"]]
            seen["MultiPolygon"] += multi
            seen["hole"] += any(len(rings) > 1 for rings in polygons)
            seen["two wardens"] += len(theirs["properties"]["wardens"]) == 2
            seen["no warden"] += not theirs["properties"]["wardens"]
        # at the same precision the coordinates are the same numbers
        same = client.get(f"{url}?precision=6", headers=tok["manager"]).get_json()
        for mine, theirs in zip(decoded, same["features"], strict=True):
            assert _same_geometry(mine["geometry"], theirs["geometry"], 1e-12)
        trimmed = client.get(
            f"{url}?format=compact&fields=status,code&precision=5", headers=tok["planner"]
        ).get_json()
        assert list(trimmed["columns"]) == ["code", "status"] and set(trimmed["tables"]) == {
            "status"
        }
        assert [f["properties"] for f in _decode_compact(trimmed)] == [
            {"code": f["properties"]["code"], "status": f["properties"]["status"]}
            for f in geojson["features"]
        ]
    assert all(seen.values()), seen
    assert _error(client.get(f"{url}?format=topojson", headers=tok["manager"]), 422)
    empty = client.post(
        f"{API}/areas", headers=tok["planner"], json={"name": "Pier Square", "geometry": SQUARE}
    ).get_json()["slug"]
    nothing = client.get(f"{API}/areas/{empty}/cells?format=compact", headers=tok["manager"])
    assert nothing.status_code == 200 and _decode_compact(nothing.get_json()) == []


def test_cells_at_an_earlier_moment_are_the_plan_of_that_moment(site, engine):
    """After a re-grid, /cells?at= a moment between the two plans answers the old plan's cells with
    their status then, exactly what the coverage report at that moment says, in both formats."""
    from gridmgr import services

    _, client, tok, park = site
    between = datetime.now(UTC)
    time.sleep(0.05)
    services.grid(engine, park.slug, count=12)
    at = between.isoformat()
    url = f"{API}/areas/{park.slug}/cells"
    now = client.get(f"{url}?fields=code", headers=tok["manager"]).get_json()
    assert len(now["features"]) == 12
    then = client.get(url, headers=tok["manager"], query_string={"at": at}).get_json()
    report = services.coverage_report(engine, park.slug, at=at, with_cells=True)
    assert report.plan_version == 1 and report.cells_total == 30
    assert [f["properties"]["code"] for f in then["features"]] == park.codes
    wardens = [[{"name": n, "role": r} for n, r in posts] for posts in report.cells.wardens()]
    assert [(f["properties"]["status"], f["properties"]["wardens"]) for f in then["features"]] == [
        *zip(report.cells.status, wardens, strict=True)
    ]
    compact = client.get(
        url, headers=tok["manager"], query_string={"at": at, "format": "compact"}
    ).get_json()
    assert [f["properties"] for f in _decode_compact(compact)] == [
        f["properties"] for f in then["features"]
    ]
    early = client.get(url, headers=tok["manager"], query_string={"at": "2001-01-01T00:00"})
    assert "had no grid plan" in _error(early, 404)["message"]


def test_a_revoked_token_answers_401(site):
    _, client, tok, _ = site
    for role, reads in [("planner", "/areas"), ("manager", "/areas"), ("warden1", "/me/cells")]:
        mine = api_token(client, role)
        assert client.get(f"{API}{reads}", headers=mine).status_code == 200
        assert client.delete(f"{API}/token", headers=mine).status_code == 204
        again = client.get(f"{API}{reads}", headers=mine)
        assert again.status_code == 401 and again.get_json()["error"]["code"] == "unauthorized"
        assert client.get(f"{API}{reads}", headers=tok[role]).status_code == 200  # others live on
    assert client.delete(f"{API}/token").status_code == 401


def test_managers_read_the_audit_log(site):
    _, client, tok, park = site
    put = client.put(f"{API}/areas/{park.slug}/cells/{park.codes[3]}/schedule",
                     headers=tok["manager"], json={"times": ["09:00"], "extra": 1})  # fmt: skip
    assert put.status_code == 200
    got = client.get(f"{API}/audit?limit=5", headers=tok["manager"])
    assert got.status_code == 200
    events = got.get_json()
    assert len(events) == 5 and [e["id"] for e in events] == sorted(
        (e["id"] for e in events), reverse=True
    )
    newest = events[0]
    assert newest["action"] == "schedule.set" and newest["actor"] == "manager"
    assert newest["area"] == park.slug and newest["details"]["times"] == "09:00"
    older = client.get(f"{API}/audit?limit=5&before={events[-1]['id']}", headers=tok["manager"])
    assert all(e["id"] < events[-1]["id"] for e in older.get_json())
    of_area = client.get(
        f"{API}/audit?area={park.slug}&limit=1000", headers=tok["manager"]
    ).get_json()
    assert of_area and all(e["area"] == park.slug for e in of_area)
    assert client.get(f"{API}/audit?limit=0", headers=tok["manager"]).status_code == 422
    assert client.get(f"{API}/audit?limit=x", headers=tok["manager"]).status_code == 422
    assert client.get(f"{API}/audit?area=nowhere", headers=tok["manager"]).status_code == 404
    for role in ("planner", "warden1"):
        assert client.get(f"{API}/audit", headers=tok[role]).status_code == 403
