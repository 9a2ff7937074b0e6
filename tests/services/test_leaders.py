"""Leaders of areas (责任链): set, cleared, audited, shown along the chain in exports; the building and
unit leader roles of wardens (SQLite and PostGIS)."""

from __future__ import annotations

import json

import pytest

from gridmgr import services
from gridmgr.errors import InvalidInput, NotFound
from gridmgr.services.audit import list_audit
from gridmgr.services.leaders import area_chain_leaders, set_leaders

from nesttools import WEST, district, strips, write_features
from webtools import table_counts


@pytest.fixture
def tree(engine, tmp_path):
    top = write_features(tmp_path / "d.geojson", [district()])
    services.add_area(engine, top, name="道里区", code="230102")
    west = write_features(tmp_path / "w.geojson", strips([WEST + 0.02])[:1])
    services.add_area(engine, west, name="安静街道", parent="daoli-qu", code="230102001")
    return "daoli-qu", "anjing-jiedao"


def test_leaders_are_set_kept_cleared_and_audited(engine, tree):
    top, street = tree
    got = set_leaders(engine, top, leader="王伟", leader_phone="139 0000 0000", actor="boss")
    assert (got.leader, got.leader_phone, got.deputy) == ("王伟", "139 0000 0000", None)
    got = set_leaders(engine, top, deputy="  李娜  ")
    assert (got.leader, got.deputy) == ("王伟", "李娜")  # what is not given stays
    info = services.get_area(engine, top).leaders
    assert info is not None and (info.leader, info.deputy) == ("王伟", "李娜")
    listed = {a.slug: a.leaders for a in services.list_areas(engine)}
    assert listed[top].leader == "王伟" and listed[street].leader is None
    got = set_leaders(engine, top, deputy="")
    assert got.deputy is None and got.leader == "王伟"
    events = [e for e in list_audit(engine) if e.action == "area.leaders"]
    assert len(events) == 3 and events[0].details["old"] == {"deputy": "李娜"}  # newest first
    assert events[-1].actor == "boss"
    before = table_counts(engine)
    with pytest.raises(InvalidInput, match="--leader-phone 'call me'"):
        set_leaders(engine, top, leader="X", leader_phone="call me")
    with pytest.raises(InvalidInput, match="say what to set"):
        set_leaders(engine, top)
    with pytest.raises(NotFound):
        set_leaders(engine, "nowhere", leader="X")
    assert table_counts(engine) == before
    assert services.get_area(engine, top).leaders.leader == "王伟"


def test_exports_carry_the_leaders_of_the_cells_area_chain(engine, tree, tmp_path):
    top, street = tree
    set_leaders(engine, top, leader="王伟", leader_phone="13900000000", deputy="李娜")
    set_leaders(engine, street, deputy="赵敏")
    assert area_chain_leaders(engine, street) == (
        "道里区: 王伟 13900000000, deputy 李娜; 安静街道: deputy 赵敏"
    )
    services.grid(engine, street, count=3)
    out = services.export_plan(engine, street, tmp_path / "s.geojson").output
    features = json.loads(out.read_text("utf-8"))["features"]
    assert len(features) == 3
    assert {f["properties"]["leaders"] for f in features} == {area_chain_leaders(engine, street)}
    import geopandas as gpd

    gpkg = services.export_plan(engine, street, tmp_path / "s.gpkg").output
    assert set(gpd.read_file(gpkg)["leaders"]) == {area_chain_leaders(engine, street)}


def test_building_and_unit_leaders_are_warden_roles(engine, tree, tmp_path):
    _top, street = tree
    services.grid(engine, street, count=2)
    services.add_warden(engine, "楼长甲", role="building_leader")
    csv = tmp_path / "w.csv"
    csv.write_text("name,phone,role\n单元长乙,13800000000,unit_leader\n", "utf-8")
    services.import_wardens(engine, csv)
    code = services.plan_cells(engine, street)["code"].iloc[0]
    services.assign(engine, street, [code], "楼长甲", role="building_leader")
    services.assign(engine, street, [code], "单元长乙", role="unit_leader")
    posts = {(p.name, p.role) for c in services.area_staff(engine, street).cells for p in c.posts}
    assert posts == {("楼长甲", "building_leader"), ("单元长乙", "unit_leader")}
    with pytest.raises(InvalidInput, match="building_leader, unit_leader"):
        services.add_warden(engine, "x", role="floor_leader")
