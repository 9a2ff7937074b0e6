"""The scope check before every request (`web/scope.py`), through the JSON API on SQLite and
PostGIS: every endpoint of the API's matrix for managers and planners scoped over the park and beside
it, refusals writing nothing; and issue 15's acceptance 2: a street manager's token sees its street
only, the district's roll-up refused."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import func, select, update
from treetools import AT, seed_tree

from gridmgr import services
from gridmgr.db.models import Area, Base
from gridmgr.db.store import reading, transaction

from conftest import GEODATA
from webtools import PASSWORD, seed_park

API = "/api/v1"
SCOPED = {
    "manager_in": ("manager", "district"),
    "planner_in": ("planner", "district"),
    "manager_out": ("manager", "other"),
    "planner_out": ("planner", "other"),
}
NAMES_THE_PARK = ("{slug}", "{finding_id}", "{photo_id}", "{checkpoint_id}")


def row_counts(engine) -> dict[str, int]:
    with reading(engine) as s:
        return {
            t.name: s.execute(select(func.count()).select_from(t)).scalar_one()
            for t in Base.metadata.sorted_tables
        }


def tokens_for(engine, names) -> dict[str, dict[str, str]]:
    ids = {u.username: u.id for u in services.list_users(engine)}
    return {n: {"Authorization": f"Bearer {services.issue_token(engine, ids[n])}"} for n in names}


def test_every_api_endpoint_for_scoped_users(engine, tmp_path, app_factory):
    from web.api.test_routes import ALLOWED, _matrix_ids, _matrix_request

    park = seed_park(engine, tmp_path, wardens=3)
    services.add_area(engine, GEODATA / "demo_park.geojson", name="District", slug="district")
    services.add_area(engine, GEODATA / "demo_community.geojson", name="Other", slug="other")
    with transaction(engine) as s:
        district = s.execute(select(Area.id).where(Area.slug == "district")).scalar_one()
        s.execute(update(Area).where(Area.slug == park.slug).values(parent_id=district))
    for username, (role, scope) in SCOPED.items():
        services.add_user(engine, username, role=role, password=PASSWORD, scope=scope)
    tok = tokens_for(engine, SCOPED)
    client = app_factory().test_client()
    for endpoint, allowed in ALLOWED.items():
        method, path = endpoint.split(" ")
        for username, (role, where) in SCOPED.items():
            if where == "district" and method != "GET":
                continue  # writes as the role itself: test_routes' matrix covers them
            ids = _matrix_ids(engine, park, endpoint)
            url = API + path.format(slug=park.slug, code=park.codes[0], **ids)
            before = row_counts(engine)
            got = _matrix_request(client, method, url, endpoint, tok[username])
            if endpoint == "POST /areas":
                want = 403  # a scoped user adds no top-level area
            elif where == "other" and any(n in path for n in NAMES_THE_PARK):
                want = 404
            else:
                want = 200 if role in allowed else 403
            assert got.status_code in ((want, 201) if want == 200 else (want,)), (
                endpoint, username, got.get_data(as_text=True)[:300],
            )  # fmt: skip
            if want != 200 or method == "GET":
                assert row_counts(engine) == before, (endpoint, username)
            if want == 404:
                assert "within your area" in got.get_json()["error"]["message"]


@pytest.fixture
def city(engine, app_factory):
    """道里区 with two streets of two communities each, and a manager scoped to the first street."""
    names = ["道里区", "新阳路街道", "经纬街道", "建国社区", "友谊社区", "安静社区", "共乐社区"]
    tree = seed_tree(engine, [None, 0, 0, 1, 1, 2, 2], random.Random(9), names=names, gridded=1.0)
    street = tree.slugs[1]
    services.add_user(engine, "chen", role="manager", password=PASSWORD, scope=street)
    services.add_user(engine, "boss", role="manager", password=PASSWORD)
    return app_factory().test_client(), tokens_for(engine, ["chen", "boss"]), tree


def test_a_street_managers_token_sees_its_street_only(city, engine):
    """Issue 15, acceptance 2."""
    client, tok, tree = city
    street, other, district = tree.slugs[1], tree.slugs[2], tree.slugs[0]
    listed = client.get(f"{API}/areas", headers=tok["chen"]).get_json()
    assert sorted(a["slug"] for a in listed) == sorted([street, tree.slugs[3], tree.slugs[4]])
    everything = client.get(f"{API}/areas", headers=tok["boss"]).get_json()
    assert len(everything) == len(tree.slugs)
    own = client.get(f"{API}/areas/{street}/rollup?at={AT}", headers=tok["chen"])
    assert own.status_code == 200
    assert (
        own.get_json()
        == client.get(f"{API}/areas/{street}/rollup?at={AT}", headers=tok["boss"]).get_json()
    )
    before = row_counts(engine)
    for url in (
        f"/areas/{district}/rollup",
        f"/areas/{other}/rollup",
        f"/areas/{other}",
        f"/areas/{tree.slugs[5]}/coverage",
        f"/areas/{tree.slugs[5]}/cells",
        f"/areas/{tree.slugs[6]}/findings",
        f"/areas/{tree.slugs[6]}/ledger",
    ):
        got = client.get(API + url, headers=tok["chen"])
        assert got.status_code == 404, url
        assert "within your area" in got.get_json()["error"]["message"]
    unknown = client.get(f"{API}/areas/nowhere/rollup", headers=tok["chen"])
    assert unknown.status_code == 404
    assert district not in unknown.get_json()["error"]["message"]  # no list of other areas
    child = client.get(f"{API}/areas/{tree.slugs[3]}/coverage", headers=tok["chen"])
    assert child.status_code == 200
    assert row_counts(engine) == before


def test_a_scoped_planner_adds_children_within_its_scope_only(city, engine):
    """A child of an area within the scope may be added (201); a child of one outside is a 404 and a
    top-level area a 403, neither writing anything."""
    import shapely
    from shapely.geometry import mapping, shape

    client, _tok, tree = city
    street, other = tree.slugs[1], tree.slugs[2]
    services.add_user(engine, "lin", role="planner", password=PASSWORD, scope=street)
    h = tokens_for(engine, ["lin"])["lin"]
    boss = tokens_for(engine, ["boss"])["boss"]

    def small_inside(slug: str) -> dict:
        outline = shape(client.get(f"{API}/areas/{slug}", headers=h).get_json()["geometry"])
        return mapping(shapely.box(*outline.representative_point().buffer(1e-4).bounds))

    inside = small_inside(street)
    before = row_counts(engine)
    top = client.post(f"{API}/areas", headers=h, json={"name": "Top", "geometry": inside})
    assert top.status_code == 403
    outside = shape(client.get(f"{API}/areas/{other}", headers=boss).get_json()["geometry"])
    body = {"name": "Stray", "geometry": mapping(outside.representative_point().buffer(1e-4)),
            "parent": other}  # fmt: skip
    stray = client.post(f"{API}/areas", headers=h, json=body)
    assert stray.status_code == 404 and "within your area" in stray.get_json()["error"]["message"]
    assert row_counts(engine) == before
    made = client.post(
        f"{API}/areas", headers=h, json={"name": "Block 9", "geometry": inside, "parent": street}
    )
    assert made.status_code == 201, made.get_data(as_text=True)
    slug = made.get_json()["slug"]
    assert client.get(f"{API}/areas/{slug}", headers=h).get_json()["properties"]["parent"] == street
