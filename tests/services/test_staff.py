"""Wardens: importing them (a bad file refused whole), posts by hand and by auto-assignment (balanced by area or weight), schedules (SQLite and PostGIS)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from sqlalchemy import func, select

from gridmgr import services
from gridmgr.db.models import Cell, Warden
from gridmgr.db.store import reading
from gridmgr.errors import Conflict, InvalidInput, NotFound
from gridmgr.files.areas import read_area
from gridmgr.geometry.projection import metric_crs, to_metric, to_wgs84

from conftest import GEODATA
from servicetools import active, add_wardens


def test_warden_import_refuses_a_bad_file_whole(engine, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "name,phone,role\n张伟,13800000000,leader\n李娜,13800000001,chief\n", encoding="utf-8"
    )
    with pytest.raises(InvalidInput, match=r"line 3: unknown role 'chief'"):
        services.import_wardens(engine, bad)
    bad.write_text("name,phone\n张伟,13800000000\n张伟,13800000001\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"line 3: '张伟' appears twice \(also on line 2\)"):
        services.import_wardens(engine, bad)
    bad.write_text("naam,telefoon\nx,1\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="line 1: the header"):
        services.import_wardens(engine, bad)
    bad.write_text("name,phone\n张伟,call me\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="line 2: phone"):
        services.import_wardens(engine, bad)
    with reading(engine) as s:
        assert s.execute(select(func.count()).select_from(Warden)).scalar() == 0
    services.add_warden(engine, "王芳")
    good = tmp_path / "good.csv"
    good.write_text("\ufeffname,phone\n张伟,13800000000\n王芳,13800000001\n", encoding="utf-8")
    with pytest.raises(
        Conflict, match="line 3: a warden named '王芳' already exists; nothing was imported"
    ):
        services.import_wardens(engine, good)
    with reading(engine) as s:
        assert s.execute(select(func.count()).select_from(Warden)).scalar() == 1


def test_assign_by_hand(engine, park):
    services.add_warden(engine, "张伟", phone="13800000000")
    services.assign(
        engine,
        park,
        ["HAIBIN-CHILDRENS-PARK-001", "HAIBIN-CHILDRENS-PARK-002"],
        "张伟",
        role="leader",
    )
    _, _, posts, _ = active(engine, park)
    assert sorted(posts) == [
        ("HAIBIN-CHILDRENS-PARK-001", "张伟", "leader"),
        ("HAIBIN-CHILDRENS-PARK-002", "张伟", "leader"),
    ]
    with pytest.raises(NotFound, match="no cell 'X-9'"):
        services.assign(engine, park, ["X-9"], "张伟")
    with pytest.raises(NotFound, match="no warden named"):
        services.assign(engine, park, ["HAIBIN-CHILDRENS-PARK-001"], "nobody")


def test_auto_assign_with_more_wardens_than_cells(engine, park, tmp_path):
    add_wardens(engine, 70, tmp_path)
    services.auto_assign(engine, park)
    _, cells, posts, _ = active(engine, park)
    per_cell = {c: sum(1 for p in posts if p[0] == c) for c in cells["code"]}
    assert min(per_cell.values()) >= 1
    assert len({p[1] for p in posts}) == 70 and len(posts) == 70  # each warden one post


def test_auto_assign_with_fewer_wardens_gives_balanced_contiguous_groups(engine, tmp_path):
    slug = services.add_area(engine, GEODATA / "demo_community.geojson", name="Xinhe").slug
    services.grid(engine, slug, cell_size=40)
    add_wardens(engine, 12, tmp_path)
    services.auto_assign(engine, slug)
    _, cells, posts, _ = active(engine, slug)
    assert len(posts) == len(cells)  # every cell exactly one warden
    area_of = dict(zip(cells["code"], cells["area_m2"], strict=True))
    geom_of = dict(zip(cells["code"], cells.geometry, strict=True))
    totals, parts = {}, {}
    for code, name, _ in posts:
        totals[name] = totals.get(name, 0) + area_of[code]
        parts.setdefault(name, []).append(geom_of[code])
    assert len(totals) == 12
    assert max(totals.values()) / min(totals.values()) <= 1.3
    # contiguous: each warden's cells form one piece (the community's two parts aside)
    pieces = [shapely.get_num_geometries(shapely.union_all(g).buffer(1e-7)) for g in parts.values()]
    assert sum(p == 1 for p in pieces) >= 10


def test_a_weighted_plan_stores_weights_and_auto_assign_balances_them(engine, tmp_path):
    """Issue 18: a plan made with --weight keeps each cell's weight, and auto-assignment then
    shares out households (times rounds a day), not area: the estate's wardens hold less ground."""
    slug = services.add_area(engine, GEODATA / "demo_community.geojson", name="Xinhe").slug
    area = read_area(GEODATA / "demo_community.geojson").geometry
    crs = metric_crs(area)
    region = to_metric(area, crs)
    rng = np.random.default_rng(7)
    xmin, ymin, xmax, ymax = region.bounds
    xy = rng.uniform([xmin, ymin], [xmax, ymax], size=(20_000, 2))
    xy = xy[shapely.contains_xy(region, xy[:, 0], xy[:, 1])]
    dense = xy[:, 0] < xmin + 0.3 * (xmax - xmin)  # households crowd the west
    xy = np.concatenate([xy[dense][:2400], xy[~dense][:600]])
    points = tmp_path / "households.geojson"
    gpd.GeoDataFrame(geometry=list(to_wgs84(shapely.points(xy), crs)), crs=4326).to_file(points)
    report = services.grid(engine, slug, count=24, weight=str(points))
    assert report.quality["weight_cv"] <= 0.05
    _, cells, _, _ = active(engine, slug)
    with reading(engine) as s:
        stored = dict(
            s.execute(
                select(Cell.code, Cell.weight).where(Cell.code.in_(list(cells["code"])))
            ).all()
        )
    assert sum(stored.values()) == pytest.approx(3000)
    add_wardens(engine, 6, tmp_path)
    got = services.auto_assign(engine, slug)
    assert got.balanced_by == "weight"
    _, cells, posts, _ = active(engine, slug)
    area_of = dict(zip(cells["code"], cells["area_m2"], strict=True))
    load, ground = {}, {}
    for code, name, _ in posts:
        load[name] = load.get(name, 0) + stored[code]
        ground[name] = ground.get(name, 0) + area_of[code]
    assert max(load.values()) / min(load.values()) <= 1.3
    assert max(ground.values()) / min(ground.values()) > 2  # by area it would be far off
    exported = tmp_path / "plan.geojson"
    services.export_plan(engine, slug, exported)
    assert gpd.read_file(exported)["weight"].sum() == pytest.approx(3000)


def test_schedule_validation(engine, park):
    for times, words in [(["8am"], "HH:MM"), (["08:00", "08:00"], "repeat"), ([], "HH:MM")]:
        with pytest.raises(InvalidInput, match=words):
            services.set_schedule(engine, park, None, times=times)
    with pytest.raises(InvalidInput, match="extra"):
        services.set_schedule(engine, park, None, extra=-1)
