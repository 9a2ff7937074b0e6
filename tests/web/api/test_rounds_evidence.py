"""Rounds are evidence (issue 16), through the API on SQLite and PostGIS: the server's time of
receipt, how far back a warden may date a round, late entries, managers' audited backfills, and the
phone's position against the cell where an area requires it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import shapely

from gridmgr.geometry.datum import wgs84_to_gcj02
from gridmgr.geometry.projection import metric_crs, to_metric, to_wgs84

from webtools import seed_park

API = "/api/v1"


@pytest.fixture
def site(engine, tmp_path, app_factory):
    from gridmgr import services

    park = seed_park(engine, tmp_path, wardens=2)
    app = app_factory()
    eng = app.extensions["gridmgr.engine"]
    ids = {u.username: u.id for u in services.list_users(eng)}
    tokens = {
        u: {"Authorization": f"Bearer {services.issue_token(eng, ids[u])}"}
        for u in ("manager", "planner", "warden1", "warden2")
    }
    return app.test_client(), tokens, park, eng


def _post(client, park, headers, body, code=None, **extra):
    return client.post(
        f"{API}/areas/{park.slug}/cells/{code or park.codes[0]}/rounds",
        json=body,
        headers={**headers, **extra},
    )


def _ago(**delta) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


def _error(resp, status: int = 422) -> str:
    assert resp.status_code == status, resp.get_data(as_text=True)
    return resp.get_json()["error"]["message"]


def _cell(engine, park, k: int = 0):
    from gridmgr import services

    cells = services.plan_cells(engine, park.slug)
    return cells.geometry.iloc[k]


def test_acceptance_1_server_time_late_entries_and_backfills(site):
    client, tokens, park, _engine = site
    warden, manager = tokens["warden1"], tokens["manager"]
    assert "24 hours" in _error(_post(client, park, warden, {"at": _ago(days=3)}))
    ahead = _error(_post(client, park, warden, {"at": _ago(hours=-1)}))
    assert "ahead of the server's clock" in ahead
    before = datetime.now(UTC).replace(microsecond=0)
    late = _post(client, park, warden, {"at": _ago(hours=2), "note": "phone was offline"})
    assert late.status_code == 201, late.get_data(as_text=True)
    body = late.get_json()
    assert body["late_entry"] is True and body["backfilled"] is False
    received = datetime.fromisoformat(body["received_at"])
    assert before <= received <= datetime.now(UTC)
    assert received - datetime.fromisoformat(body["at"]) > timedelta(minutes=119)
    assert body["location"] is None and body["in_cell"] is None
    now = _post(client, park, warden, {})
    assert now.status_code == 201 and now.get_json()["late_entry"] is False
    assert now.get_json()["at"] == now.get_json()["received_at"]
    # a manager backfills three days back for the warden: taken, marked and audited with who
    back = _post(client, park, manager, {"warden": "warden1", "at": _ago(days=3)})
    assert back.status_code == 201, back.get_data(as_text=True)
    assert back.get_json()["backfilled"] is True and back.get_json()["late_entry"] is True
    audit = client.get(f"{API}/audit?area={park.slug}", headers=manager).get_json()
    logged = [e for e in audit if e["action"] == "round.log" and e["details"].get("backfilled")]
    assert [e["actor"] for e in logged] == ["manager"]
    audited_at = datetime.fromisoformat(logged[0]["details"]["at"]).replace(microsecond=0)
    assert audited_at == datetime.fromisoformat(back.get_json()["at"])
    # a manager cannot date a round in the future either
    assert "ahead" in _error(
        _post(client, park, manager, {"warden": "warden1", "at": _ago(hours=-1)})
    )


def test_a_retry_with_the_same_key_stores_once_and_answers_the_first_round(site):
    client, tokens, park, _engine = site
    key = {"Idempotency-Key": "offline-1"}
    first = _post(client, park, tokens["warden1"], {"at": _ago(hours=1)}, **key)
    again = _post(client, park, tokens["warden1"], {"at": _ago(hours=1)}, **key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json() == again.get_json()
    assert again.get_json()["late_entry"] is True


def test_findings_keep_to_the_same_time_rules(site):
    client, tokens, park, _engine = site
    url = f"{API}/areas/{park.slug}/cells/{park.codes[0]}/findings"
    body = {"category": "other", "text": "bin full", "fixed_now": True}
    old = client.post(url, json={**body, "at": _ago(days=3)}, headers=tokens["warden1"])
    assert "24 hours" in _error(old)
    ahead = client.post(url, json={**body, "at": _ago(hours=-1)}, headers=tokens["warden1"])
    assert "ahead of the server's clock" in _error(ahead)
    ok = client.post(url, json={**body, "at": _ago(hours=2)}, headers=tokens["warden1"])
    assert ok.status_code == 201, ok.get_data(as_text=True)
    back = client.post(url, json={**body, "at": _ago(days=3)}, headers=tokens["manager"])
    assert back.status_code == 201, back.get_data(as_text=True)


def _metres_outside(cell, metres: float) -> tuple[float, float]:
    """A WGS84 point `metres` from the cell (a vertex of its round buffer), measured in its CRS."""
    crs = metric_crs(cell)
    ring = to_metric(cell, crs).buffer(metres, quad_segs=64)
    x, y = max(shapely.get_coordinates(ring.exterior), key=lambda c: c[0])
    p = to_wgs84(shapely.Point(x, y), crs)
    return p.x, p.y


def test_acceptance_2_an_area_that_requires_a_location(site):
    from gridmgr import services

    client, tokens, park, engine = site
    warden, code = tokens["warden1"], park.codes[0]
    cell = _cell(engine, park)
    inside = cell.representative_point()
    # not required yet: any position is stored with what it proves
    lon, lat = _metres_outside(cell, 500)
    far = _post(client, park, warden, {"location": {"lon": lon, "lat": lat, "accuracy_m": 15}})
    assert far.status_code == 201 and far.get_json()["in_cell"] is False
    assert far.get_json()["distance_m"] == pytest.approx(500, abs=1)
    assert far.get_json()["location"] == {"lon": lon, "lat": lat, "accuracy_m": 15}
    assert services.set_require_location(engine, park.slug, True, actor="test")
    assert not services.set_require_location(engine, park.slug, True, actor="test")
    assert "requires a position" in _error(_post(client, park, warden, {}))
    message = _error(
        _post(client, park, warden, {"location": {"lon": lon, "lat": lat, "accuracy_m": 15}})
    )
    assert f"500 m outside cell {code}" in message and "GCJ-02" not in message
    # a coarse fix widens the radius: 500 m out with 600 m accuracy counts as in the cell
    coarse = _post(client, park, warden, {"location": {"lon": lon, "lat": lat, "accuracy_m": 600}})
    assert coarse.status_code == 201 and coarse.get_json()["in_cell"] is True
    good = _post(
        client, park, warden, {"location": {"lon": inside.x, "lat": inside.y, "accuracy_m": 8}}
    )
    assert good.status_code == 201, good.get_data(as_text=True)
    assert good.get_json()["in_cell"] is True and good.get_json()["distance_m"] == 0
    glon, glat = wgs84_to_gcj02(inside.x, inside.y)
    shifted = _error(
        _post(client, park, warden, {"location": {"lon": float(glon), "lat": float(glat)}})
    )
    assert "outside cell" in shifted and "GCJ-02" in shifted
    # a manager's backfill is not held to it (audited instead)
    back = _post(client, park, tokens["manager"], {"warden": "warden1", "at": _ago(hours=30)})
    assert back.status_code == 201 and back.get_json()["in_cell"] is None


@pytest.mark.parametrize(
    ("location", "message"),
    [
        ("here", "must be an object"),
        ({"lon": 200, "lat": 36}, "not a WGS84"),
        ({"lon": 120.3}, "as numbers"),
        ({"lon": 120.3, "lat": 36.0, "accuracy_m": -1}, "accuracy_m"),
        ({"lon": 120.3, "lat": 36.0, "alt": 3}, "unknown members"),
    ],
)
def test_a_malformed_location_is_a_clear_422(site, location, message):
    client, tokens, park, _engine = site
    assert message in _error(_post(client, park, tokens["warden1"], {"location": location}))


def test_the_rounds_list_of_a_cell_by_day_with_its_evidence(site):
    """Today's list holds exactly the rounds logged today on the area's clock, oldest first, with
    the evidence the POST answered; an earlier day holds the backfill; wardens see their own cells."""
    client, tokens, park, engine = site
    code = park.codes[0]
    inside = _cell(engine, park).representative_point()
    where = {"lon": inside.x, "lat": inside.y, "accuracy_m": 12}
    logged = [
        _post(client, park, tokens["warden1"], {"location": where, "note": "喷洒完成"}),
        _post(client, park, tokens["warden1"], {"at": _ago(minutes=30)}),
        _post(client, park, tokens["manager"], {"warden": "warden1", "at": _ago(days=3)}),
    ]
    assert all(r.status_code == 201 for r in logged)
    bodies = [r.get_json() for r in logged]
    url = f"{API}/areas/{park.slug}/cells/{code}/rounds"
    today_local = (datetime.now(UTC) + timedelta(hours=8)).date()
    todays = [b for b in bodies if datetime.fromisoformat(b["at"]).date() == today_local]
    for who in ("manager", "planner", "warden1"):
        got = client.get(url, headers=tokens[who])
        assert got.status_code == 200, got.get_data(as_text=True)
        listed = got.get_json()
        assert listed == sorted(todays, key=lambda b: (b["at"], b["id"]))
        for row in listed:
            assert {"id", "at", "received_at", "warden", "note", "location", "in_cell",
                    "late_entry"} <= set(row)  # fmt: skip
    day3 = (datetime.fromisoformat(bodies[2]["at"])).date().isoformat()
    old = client.get(f"{url}?day={day3}", headers=tokens["manager"]).get_json()
    assert bodies[2] in old and all(r["at"].startswith(day3) for r in old)
    assert client.get(url, headers=tokens["warden2"]).status_code == 403
    assert client.get(f"{url}?day=24-11-2026", headers=tokens["manager"]).status_code == 422
    assert (
        client.get(
            f"{API}/areas/{park.slug}/cells/NOPE/rounds", headers=tokens["manager"]
        ).status_code
        == 404
    )
    assert client.get(url).status_code == 401
