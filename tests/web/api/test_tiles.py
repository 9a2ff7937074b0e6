"""The vector tiles endpoint (gridmgr/web/api/tiles.py) on SQLite and PostGIS: the MVT type and
bytes, 204 for an empty tile, 404 with a JSON error for a tile that does not exist, ETag and 304,
compression, the plan and moment asked for, and a scoped user outside the area."""

from __future__ import annotations

import gzip

import mapbox_vector_tile
import pytest
from web.api.test_routes import API, PARK_TILE, _error

from gridmgr import services

from webtools import PASSWORD, seed_park

MVT = "application/vnd.mapbox-vector-tile"


@pytest.fixture
def site(engine, tmp_path, app_factory):
    park = seed_park(engine, tmp_path, wardens=20)
    services.add_area(engine, __import__("conftest").GEODATA / "demo_community.geojson",
                      name="Other", slug="other")  # fmt: skip
    services.add_user(engine, "scoped", role="manager", password=PASSWORD, scope="other")
    app = app_factory()
    eng = app.extensions["gridmgr.engine"]
    ids = {u.username: u.id for u in services.list_users(eng)}
    tok = {u: {"Authorization": f"Bearer {services.issue_token(eng, ids[u])}"} for u in ids}
    return app.test_client(), tok, park


def url(slug: str, z: int, x: int, y: int, query: str = "") -> str:
    return f"{API}/areas/{slug}/tiles/{z}/{x}/{y}.mvt{query}"


def codes_in(data: bytes) -> list[str]:
    layers = mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})
    return [f["properties"]["code"] for f in layers["cells"]["features"]]


def test_a_tile_is_an_mvt_of_the_plans_cells_with_an_etag(site):
    client, tok, park = site
    got = client.get(url(park.slug, **PARK_TILE), headers=tok["manager"])
    assert got.status_code == 200 and got.mimetype == MVT
    assert sorted(codes_in(got.data)) == sorted(park.codes)
    assert got.headers["Cache-Control"] == "private, no-cache" and got.headers["ETag"]
    again = client.get(
        url(park.slug, **PARK_TILE),
        headers={**tok["manager"], "If-None-Match": got.headers["ETag"]},
    )
    assert again.status_code == 304 and again.data == b""
    # the planner reads the same tile; a new plan makes a new one (and its ETag)
    assert client.get(url(park.slug, **PARK_TILE), headers=tok["planner"]).data == got.data
    services.grid(services_engine(client), park.slug, count=7)
    new = client.get(
        url(park.slug, **PARK_TILE),
        headers={**tok["manager"], "If-None-Match": got.headers["ETag"]},
    )
    assert new.status_code == 200 and len(codes_in(new.data)) == 7
    old = client.get(url(park.slug, **PARK_TILE, query="?plan=1"), headers=tok["manager"])
    assert sorted(codes_in(old.data)) == sorted(park.codes)


def services_engine(client):
    return client.application.extensions["gridmgr.engine"]


def test_a_tile_is_compressed_when_the_client_accepts_it(site):
    client, tok, park = site
    plain = client.get(
        url(park.slug, **PARK_TILE), headers={**tok["manager"], "Accept-Encoding": "identity"}
    )
    packed = client.get(
        url(park.slug, **PARK_TILE), headers={**tok["manager"], "Accept-Encoding": "gzip"}
    )
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data and len(packed.data) < len(plain.data)


def test_empty_missing_and_forbidden_tiles(site):
    client, tok, park = site
    empty = client.get(url(park.slug, 14, 0, 0), headers=tok["manager"])
    assert empty.status_code == 204 and empty.data == b""
    for z, x, y in ((25, 0, 0), (3, 8, 0), (3, 0, 8), (3, -1, 0)):
        message = _error(client.get(url(park.slug, z, x, y), headers=tok["manager"]), 404)[
            "message"
        ]
        assert "out of range" in message
    assert (
        "no plan version 5"
        in _error(
            client.get(url(park.slug, **PARK_TILE, query="?plan=5"), headers=tok["manager"]), 404
        )["message"]
    )
    assert _error(
        client.get(url(park.slug, **PARK_TILE, query="?plan=x"), headers=tok["manager"]), 422
    )
    assert _error(
        client.get(url(park.slug, **PARK_TILE, query="?at=soon"), headers=tok["manager"]), 422
    )
    assert _error(client.get(url("atlantis", **PARK_TILE), headers=tok["manager"]), 404)
    assert _error(client.get(url(park.slug, **PARK_TILE), headers=tok["warden1"]), 403)
    assert _error(client.get(url(park.slug, **PARK_TILE)), 401)
    # a manager scoped to another area: the park's tiles do not exist for it
    outside = _error(client.get(url(park.slug, **PARK_TILE), headers=tok["scoped"]), 404)
    assert "within your area" in outside["message"]
    other = client.get(url("other", 14, 0, 0), headers=tok["scoped"])
    assert other.status_code == 204  # its own area (no plan yet) answers


def test_a_zoomed_out_tile_merges_the_cells_per_status_and_is_kept_by_the_server(site):
    client, tok, park = site
    z, x, y = PARK_TILE["z"], PARK_TILE["x"], PARK_TILE["y"]
    low = {"z": z - 4, "x": x >> 4, "y": y >> 4}  # the tile holding it four zooms out
    got = client.get(url(park.slug, **low), headers=tok["manager"])
    assert got.status_code == 200 and got.mimetype == MVT
    layers = mapbox_vector_tile.decode(got.data, default_options={"y_coord_down": True})
    assert set(layers) == {"statuses"}
    features = layers["statuses"]["features"]
    assert sum(f["properties"]["cells"] for f in features) == len(park.codes)
    assert {f["properties"]["status"] for f in features} >= {"unstaffed"}  # 10 cells held by none
    assert all(f["properties"]["cells_zoom"] > low["z"] for f in features)
    cache = client.application.extensions["gridmgr.tile_cache"]
    hits = cache.hits
    assert client.get(url(park.slug, **low), headers=tok["manager"]).data == got.data
    assert cache.hits == hits + 1  # made once, served again from the server's cache
    # a warden posted to the unheld cells: the tile changes at once (no stale tile)
    services.assign(services_engine(client), park.slug, park.codes[20:], "warden1")
    new = client.get(url(park.slug, **low), headers=tok["manager"])
    statuses = mapbox_vector_tile.decode(new.data)["statuses"]["features"]
    assert "unstaffed" not in {f["properties"]["status"] for f in statuses}


def test_without_a_tile_cache_tiles_are_made_each_time(engine, tmp_path, app_factory):
    park = seed_park(engine, tmp_path, wardens=20)
    app = app_factory(TILE_CACHE_MB=0)
    assert app.extensions["gridmgr.tile_cache"] is None
    client = app.test_client()
    eng = app.extensions["gridmgr.engine"]
    user = next(u for u in services.list_users(eng) if u.username == "manager")
    auth = {"Authorization": f"Bearer {services.issue_token(eng, user.id)}"}
    got = client.get(url(park.slug, **PARK_TILE), headers=auth)
    assert got.status_code == 200 and sorted(codes_in(got.data)) == sorted(park.codes)
