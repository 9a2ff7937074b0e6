"""The API of nested areas: a parent in POST /areas, ?parent= lists children, parent in an area's JSON."""

from __future__ import annotations

import shapely
import shapely.geometry

from gridmgr import services

from nesttools import WEST, district, strips
from webtools import PASSWORD

API = "/api/v1"


def test_children_by_api(app_factory):
    app = app_factory()
    engine = app.extensions["gridmgr.engine"]
    services.add_user(engine, "planner", role="planner", password=PASSWORD)
    user = services.list_users(engine)[0]
    tok = {"Authorization": f"Bearer {services.issue_token(engine, user.id)}"}
    client = app.test_client()
    top = {"name": "Daoli", "kind": "district", "geometry": shapely.geometry.mapping(district())}
    assert client.post(f"{API}/areas", headers=tok, json=top).status_code == 201
    west = shapely.geometry.mapping(strips([WEST + 0.02])[0])
    made = client.post(
        f"{API}/areas", headers=tok,
        json={"name": "West", "geometry": west, "parent": "daoli", "code": "230102001"},
    )  # fmt: skip
    assert made.status_code == 201, made.get_data(as_text=True)
    assert made.get_json()["parent"] == "daoli"
    kids = client.get(f"{API}/areas?parent=daoli", headers=tok).get_json()
    assert [(a["slug"], a["parent"]) for a in kids] == [("west", "daoli")]
    assert client.get(f"{API}/areas?parent=west", headers=tok).get_json() == []
    assert client.get(f"{API}/areas?parent=nowhere", headers=tok).status_code == 404
    props = client.get(f"{API}/areas/west", headers=tok).get_json()["properties"]
    assert props["parent"] == "daoli" and props["code"] == "230102001"
    assert client.get(f"{API}/areas/daoli", headers=tok).get_json()["properties"]["parent"] is None
    outside = shapely.geometry.mapping(shapely.box(127.0, 45.0, 127.01, 45.01))
    bad = client.post(
        f"{API}/areas", headers=tok, json={"name": "Far", "geometry": outside, "parent": "daoli"}
    )
    assert bad.status_code == 422
    assert "not within the parent area 'daoli'" in bad.get_json()["error"]["message"]


def test_the_areas_page_shows_the_tree(app_factory):
    import re

    from webtools import login

    app = app_factory()
    engine = app.extensions["gridmgr.engine"]
    services.add_user(engine, "manager", role="manager", password=PASSWORD)
    geo = shapely.geometry.mapping
    services.add_area(engine, geojson=geo(district()), name="Daoli", kind="district")
    for k, strip in enumerate(strips([WEST + 0.02])):
        services.add_area(engine, geojson=geo(strip), name=f"S{k}", parent="daoli")
    client = app.test_client()
    login(client, "manager")
    html = client.get("/areas").get_data(as_text=True)
    rows = re.findall(r'data-area="([\w-]+)" data-parent="([\w-]*)" data-depth="(\d)"', html)
    assert rows == [("daoli", "", "0"), ("s0", "daoli", "1"), ("s1", "daoli", "1")]
    assert html.count("└") == 2


def test_grid_on_a_parent_by_api_grids_its_leaves(app_factory):
    app = app_factory()
    engine = app.extensions["gridmgr.engine"]
    services.add_user(engine, "planner", role="planner", password=PASSWORD)
    user = services.list_users(engine)[0]
    tok = {"Authorization": f"Bearer {services.issue_token(engine, user.id)}"}
    geo = shapely.geometry.mapping
    services.add_area(engine, geojson=geo(district()), name="Daoli", kind="district")
    for k, strip in enumerate(strips([WEST + 0.02])):
        services.add_area(
            engine, geojson=geo(strip), name=f"S{k}", parent="daoli", code=f"23010200{k + 1}"
        )
    client = app.test_client()
    dry = client.post(f"{API}/areas/daoli/grid", headers=tok, json={"count": 20, "dry_run": True})
    assert dry.status_code == 200, dry.get_data(as_text=True)
    assert all(x["plan_version"] is None for x in dry.get_json()["leaves"])
    made = client.post(f"{API}/areas/daoli/grid", headers=tok, json={"count": 20})
    assert made.status_code == 201, made.get_data(as_text=True)
    body = made.get_json()
    assert body["cells"] == 20 and [x["cells"] for x in body["leaves"]] == [
        x["cells"] for x in dry.get_json()["leaves"]
    ]
    assert (
        client.get(f"{API}/areas/s0", headers=tok).get_json()["properties"]["cells"]
        == body["leaves"][0]["cells"]
    )
    bad = client.post(
        f"{API}/areas/daoli/grid",
        headers=tok,
        json={"cells": {"type": "FeatureCollection", "features": []}},
    )
    assert bad.status_code == 422 and "holds child areas" in bad.get_json()["error"]["message"]


def test_the_staff_page_offers_the_building_and_unit_leader_roles(app_factory):
    from webtools import login

    app = app_factory()
    engine = app.extensions["gridmgr.engine"]
    services.add_user(engine, "manager", role="manager", password=PASSWORD)
    services.add_area(engine, geojson=shapely.geometry.mapping(district()), name="Daoli")
    services.grid(engine, "daoli", count=2)
    client = app.test_client()
    login(client, "manager")
    html = client.get("/areas/daoli/staff").get_data(as_text=True)
    assert 'value="building_leader"' in html and 'value="unit_leader"' in html
    zh = client.get("/areas/daoli/staff", headers={"Accept-Language": "zh-CN"}).get_data(
        as_text=True
    )
    assert "楼栋长" in zh and "单元长" in zh
