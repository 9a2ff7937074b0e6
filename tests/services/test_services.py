"""Areas, plans, wardens, posts and schedules on a real database (SQLite and PostGIS, the same tests)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import geopandas as gpd
import numpy as np
import pytest
import shapely
from sqlalchemy import func, select

from gridmgr import services
from gridmgr.db.models import Assignment, AuditEvent, Cell, GridPlan, Schedule, Warden
from gridmgr.db.queries import get_area
from gridmgr.db.store import load_cells, reading
from gridmgr.errors import Conflict, Forbidden, InvalidInput, NotFound
from gridmgr.files.areas import read_area
from gridmgr.geometry.projection import metric_crs, to_metric, to_wgs84
from gridmgr.services.coverage import CellDay

from conftest import GEODATA

PARK = GEODATA / "demo_park.geojson"
LATER = datetime.now(UTC) + timedelta(days=3)  # "now" for rounds logged on days still to come


@pytest.fixture
def park(engine):
    """The demo park stored and split into 30 cells."""
    slug = services.add_area(engine, PARK, name="Haibin Children's Park", kind="park").slug
    services.grid(engine, slug, count=30)
    return slug


def active(engine, slug):
    with reading(engine) as s:
        area = get_area(s, slug)
        plan = s.execute(
            select(GridPlan).where(GridPlan.area_id == area.id, GridPlan.active)
        ).scalar_one()
        cells = load_cells(s, plan.id)
        posts = s.execute(
            select(Cell.code, Warden.name, Assignment.role)
            .join(Assignment, Assignment.cell_id == Cell.id)
            .join(Warden, Warden.id == Assignment.warden_id)
            .where(Cell.plan_id == plan.id)
        ).all()
        scheduled = set(
            s.execute(
                select(Cell.code)
                .join(Schedule, Schedule.cell_id == Cell.id)
                .where(Cell.plan_id == plan.id)
            ).scalars()
        )
        return plan, cells, posts, scheduled


def add_wardens(engine, n, tmp_path, role="member"):
    csv = tmp_path / "wardens.csv"
    csv.write_text(
        "name,phone,role\n" + "".join(f"网格员{k:04d},1390000{k:04d},{role}\n" for k in range(n)),
        encoding="utf-8",
    )
    return services.import_wardens(engine, csv)


def test_area_add_and_list(engine, park):
    again = services.add_area(engine, PARK, name="Haibin Children's Park")
    assert again.slug == f"{park}-2"
    rows = services.list_areas(engine)
    assert [r.slug for r in rows] == [park, f"{park}-2"]
    assert rows[0].cells == 30 and rows[0].plan_version == 1 and rows[1].cells == 0
    assert rows[1].plan_version is None
    info = services.get_area(engine, park)
    assert (info.slug, info.kind, info.plan_version, info.cells) == (park, "park", 1, 30)
    assert info.area_m2 == pytest.approx(rows[0].area_m2) and info.outline.geom_type.endswith(
        "Polygon"
    )
    with pytest.raises(NotFound, match="no area"):
        services.grid(engine, "nowhere", count=3)
    with pytest.raises(InvalidInput, match="time zone"):
        services.add_area(engine, PARK, name="x", timezone="Mars/Olympus")


def test_cells_are_stored_and_load_back_exactly(engine, park):
    plan, cells, _, _ = active(engine, park)
    assert plan.version == 1 and len(cells) == 30
    assert list(cells["code"]) == [f"HAIBIN-CHILDRENS-PARK-{k:03d}" for k in range(1, 31)]
    area = shapely.union_all(np.asarray(cells.geometry.values))
    crs = metric_crs(area)
    m = to_metric(np.asarray(cells.geometry.values), crs)
    np.testing.assert_allclose(shapely.area(m), shapely.area(m).mean(), rtol=1e-6)


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


def test_regrid_keeps_every_post_and_schedule(engine, park, tmp_path):
    add_wardens(engine, 45, tmp_path)
    services.auto_assign(engine, park)
    services.set_schedule(engine, park, None, times=["08:00", "12:00", "18:00"], extra=2)
    result = services.grid(engine, park, count=52)
    plan, cells, posts, scheduled = active(engine, park)
    assert plan.version == 2 and len(cells) == 52
    assert len({p[1] for p in posts}) == 45  # no warden lost a post
    assert {p[0] for p in posts} == set(cells["code"])  # no cell unstaffed
    assert scheduled == set(cells["code"])
    assert result.wardens_posted == 45 and result.staffed_cells == 52
    # codes are never reused: the new cells number on from 31
    assert cells["code"].str[-3:].astype(int).min() == 31


def test_same_grid_again_keeps_codes(engine, park):
    result = services.grid(engine, park, count=30)
    assert result.kept_codes == 30
    _, cells, _, _ = active(engine, park)
    assert list(cells["code"]) == [f"HAIBIN-CHILDRENS-PARK-{k:03d}" for k in range(1, 31)]


def test_dry_run_writes_nothing(engine, park):
    result = services.grid(engine, park, count=12, dry_run=True)
    assert result.dry_run and result.cells == 12 and result.plan_version is None
    plan, cells, _, _ = active(engine, park)
    assert plan.version == 1 and len(cells) == 30


@pytest.mark.parametrize(
    ("options", "changes"),
    [({"count": 29}, {"kept", "new", "gained"}), ({"cell_size": 50}, {"new", "gained", "changed"})],
)
def test_dry_run_cells_are_what_the_commit_writes(
    engine, park, tmp_path, monkeypatch, options, changes
):
    from gridmgr.geometry import regrid

    add_wardens(engine, 30, tmp_path)
    services.auto_assign(engine, park)  # one warden a cell: new cells gain and lose staff
    before = services.plan_cells(engine, park)
    migrations = []
    migrate = regrid.migrate
    monkeypatch.setattr(regrid, "migrate", lambda *a: migrations.append(1) or migrate(*a))
    preview = services.preview_grid(engine, park, **options)
    report, cells = preview.report, preview.cells
    assert len(migrations) == 1  # numbering and staff worked out once
    assert report.dry_run and len(cells) == report.cells and preview.area_version == 1
    assert preview.area.slug == park and preview.area.plan_version == 1
    assert changes <= set(cells["change"])
    done = services.grid(engine, park, **options, expect_version=preview.area_version)
    assert done.plan_version == 2
    assert replace(done, dry_run=True, plan_version=None) == report
    written = services.plan_cells(engine, park).set_index("code")
    cells = cells.set_index("code")
    assert sorted(cells.index) == sorted(written.index)
    written = written.loc[cells.index]
    assert shapely.equals_exact(cells.geometry.values, written.geometry.values, 1e-9).all()
    assert np.allclose(cells["area_m2"], written["area_m2"])
    posts = [set(w.split("; ")) - {""} for w in written["wardens"]]
    assert list(cells["wardens"]) == [len(p) for p in posts]
    crs = metric_crs(services.get_area(engine, park).outline)
    old_m = to_metric(np.asarray(before.geometry.values), crs)
    old_posts = [set(w.split("; ")) - {""} for w in before["wardens"]]
    for (code, cell), after in zip(cells.iterrows(), posts, strict=True):
        shared = shapely.area(shapely.intersection(old_m, to_metric(cell.geometry, crs)))
        main = old_posts[int(np.argmax(shared))]  # the old cell covering most of the new one
        gained, lost = bool(after - main), bool(main - after)
        flag = {(True, True): "changed", (True, False): "gained", (False, True): "lost"}.get(
            (gained, lost)
        )
        assert cell["change"] == (flag or ("kept" if code in set(before["code"]) else "new"))
    gained = cells.index[cells["change"].isin(["gained", "changed"])]
    assert set(report.gained_staff) == set(gained)


def test_a_commit_expecting_an_older_version_conflicts(engine, park):
    preview = services.preview_grid(engine, park, count=20)
    services.grid(engine, park, count=25)  # someone else commits meanwhile
    with pytest.raises(Conflict, match="preview again"):
        services.grid(engine, park, count=20, expect_version=preview.area_version)
    with pytest.raises(Conflict, match="preview again"):
        services.check_unchanged(engine, park, preview.area_version)
    plan, cells, _, _ = active(engine, park)
    assert plan.version == 2 and len(cells) == 25


def test_concurrent_regrids_one_wins_the_other_conflicts(engine, park, monkeypatch):
    from gridmgr.services import plans

    inner = {}
    gridding = plans.cells_from_area

    def someone_else_regrids_first(*args, **kwargs):
        # the first re-grid has read the area's version; another commits before it writes
        monkeypatch.setattr(plans, "cells_from_area", gridding)
        inner["result"] = services.grid(engine, park, count=20)
        return gridding(*args, **kwargs)

    monkeypatch.setattr(plans, "cells_from_area", someone_else_regrids_first)
    with pytest.raises(Conflict, match="re-gridded by someone else"):
        services.grid(engine, park, count=25)
    plan, cells, _, _ = active(engine, park)
    assert plan.version == 2 and len(cells) == 20 and inner["result"].plan_version == 2
    with reading(engine) as s:
        assert s.execute(select(func.count()).select_from(GridPlan)).scalar() == 2


def test_restore_an_earlier_plan(engine, park, tmp_path):
    services.grid(engine, park, count=10)
    add_wardens(engine, 10, tmp_path)
    services.auto_assign(engine, park)
    services.restore_plan(engine, park, 1)
    plan, cells, posts, _ = active(engine, park)
    assert plan.version == 3 and len(cells) == 30
    assert list(cells["code"])[:2] == ["HAIBIN-CHILDRENS-PARK-001", "HAIBIN-CHILDRENS-PARK-002"]
    assert len({p[1] for p in posts}) == 10
    with pytest.raises(NotFound, match="no plan version 9"):
        services.restore_plan(engine, park, 9)


def test_import_drawn_cells_reports_gaps_and_overlaps(engine, park, tmp_path):
    _, cells, _, _ = active(engine, park)
    drawn = cells[["code", "geometry"]].iloc[:-1].copy()  # one cell left out: a gap
    drawn.geometry = shapely.buffer(np.asarray(drawn.geometry.values), 0.00001)  # fat cells overlap
    path = tmp_path / "drawn.geojson"
    drawn.to_file(path)
    result = services.grid(engine, park, from_file=path)
    assert result.cells == 29 and result.mode == "import"
    assert result.gaps_and_overlaps.overlap_m2 > 10
    assert result.quality["coverage_error"] > 0.01


def test_schedule_validation(engine, park):
    for times, words in [(["8am"], "HH:MM"), (["08:00", "08:00"], "repeat"), ([], "HH:MM")]:
        with pytest.raises(InvalidInput, match=words):
            services.set_schedule(engine, park, None, times=times)
    with pytest.raises(InvalidInput, match="extra"):
        services.set_schedule(engine, park, None, extra=-1)


def test_export_carries_wardens_and_schedules(engine, park, tmp_path):
    services.add_warden(engine, "张伟")
    services.assign(engine, park, ["HAIBIN-CHILDRENS-PARK-003"], "张伟", role="leader")
    services.set_schedule(engine, park, ["HAIBIN-CHILDRENS-PARK-003"], extra=1)
    for name in ("plan.gpkg", "plan.geojson"):
        services.export_plan(engine, park, tmp_path / name)
        back = gpd.read_file(tmp_path / name)
        row = back[back["code"] == "HAIBIN-CHILDRENS-PARK-003"].iloc[0]
        assert row["wardens"] == "张伟 (leader)" and row["schedule"] == "08:00,12:00,18:00 +1"
        assert len(back) == 30
    gcj = services.export_plan(engine, park, tmp_path / "gcj.geojson", crs="gcj02")
    assert gcj.crs == "gcj02" and gcj.cells == 30 and gcj.output == tmp_path / "gcj.geojson"


def test_every_change_is_audited(engine, park):
    services.add_warden(engine, "张伟")
    with reading(engine) as s:
        actions = s.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars().all()
    assert actions == ["area.add", "plan.create", "warden.add"]


def test_log_a_round_only_in_a_held_cell(engine, park):
    services.add_warden(engine, "张伟")
    services.add_warden(engine, "李娜")
    services.assign(engine, park, ["HAIBIN-CHILDRENS-PARK-001"], "张伟")
    got = services.record_round(
        engine, park, "HAIBIN-CHILDRENS-PARK-001", "张伟", at="2026-11-24T08:10", note="done"
    )
    assert got.new and got.round.at.isoformat() == "2026-11-24T08:10:00+08:00"
    assert (got.round.cell, got.round.warden, got.round.note) == (
        "HAIBIN-CHILDRENS-PARK-001",
        "张伟",
        "done",
    )
    with pytest.raises(Forbidden, match="李娜 does not hold cell HAIBIN-CHILDRENS-PARK-001"):
        services.record_round(engine, park, "HAIBIN-CHILDRENS-PARK-001", "李娜")
    with pytest.raises(InvalidInput, match="not an ISO time"):
        services.record_round(engine, park, "HAIBIN-CHILDRENS-PARK-001", "张伟", at="yesterday")
    # a day built as of a later moment (the demo's): its rounds are not in the future
    later = datetime(2031, 5, 1, 9, tzinfo=UTC)
    with pytest.raises(InvalidInput, match="in the future"):
        services.record_round(engine, park, "HAIBIN-CHILDRENS-PARK-001", "张伟", at=later)
    done = services.record_round(
        engine, park, "HAIBIN-CHILDRENS-PARK-001", "张伟", at=later, now=later
    )
    assert done.round.at == later


def test_coverage_report_counts_unstaffed_and_unscheduled(engine, park):
    services.add_warden(engine, "张伟")
    services.assign(engine, park, ["HAIBIN-CHILDRENS-PARK-001"], "张伟")
    services.set_schedule(engine, park, ["HAIBIN-CHILDRENS-PARK-002"])
    r = services.coverage_report(engine, park)
    assert r.cells_total == 30 and r.ground.coverage_ratio == pytest.approx(1.0, abs=1e-6)
    assert len(r.unstaffed) == 29 and "HAIBIN-CHILDRENS-PARK-001" not in r.unstaffed
    assert len(r.unscheduled) == 29 and "HAIBIN-CHILDRENS-PARK-002" not in r.unscheduled
    assert r.ground.gaps == [] and r.ground.overlaps == []


def test_imported_cells_gap_and_overlap_measured_alike_on_both_databases(engine, tmp_path):
    """A planner's cells leave a 100 m x 50 m hole and overlap 10 m x 200 m: the report says so, ±1 m²."""
    from pyproj import CRS

    from gridmgr.geometry.projection import to_wgs84

    crs = CRS.from_epsg(32651)
    area_m = shapely.box(500_000, 4_000_000, 500_300, 4_000_200)
    drawn_m = [
        shapely.box(500_000, 4_000_000, 500_100, 4_000_200),
        shapely.box(500_090, 4_000_000, 500_200, 4_000_200),
        shapely.box(500_200, 4_000_000, 500_300, 4_000_150),
    ]
    gpd.GeoDataFrame(geometry=[to_wgs84(area_m, crs)], crs="EPSG:4326").to_file(
        tmp_path / "area.geojson"
    )
    gpd.GeoDataFrame(
        {"code": ["a", "b", "c"]},
        geometry=list(to_wgs84(np.array(drawn_m, dtype=object), crs)),
        crs="EPSG:4326",
    ).to_file(tmp_path / "cells.geojson")
    slug = services.add_area(engine, tmp_path / "area.geojson", name="Block").slug
    services.grid(engine, slug, from_file=tmp_path / "cells.geojson")
    r = services.coverage_report(engine, slug)
    gaps = [m2 for _, m2 in r.ground.gaps]
    overlaps = [m2 for _, m2 in r.ground.overlaps]
    assert gaps == [pytest.approx(5000, abs=1)]
    assert overlaps == [pytest.approx(2000, abs=1)]
    assert r.ground.covered_m2 == pytest.approx(55_000, abs=1)


def test_earlier_plans_stay_readable(engine, park, tmp_path):
    services.grid(engine, park, count=8)
    history = services.list_plans(engine, park)
    assert [(p.version, p.active, p.cells) for p in history] == [
        (1, False, 30),
        (2, True, 8),
    ]
    services.export_plan(engine, park, tmp_path / "v1.geojson", version=1)
    assert len(gpd.read_file(tmp_path / "v1.geojson")) == 30
    with pytest.raises(NotFound, match="no plan version 5"):
        services.export_plan(engine, park, tmp_path / "v5.geojson", version=5)


def test_park_round_at_0810_ok_at_1000_others_overdue_due_again_at_1230(engine, park, tmp_path):
    """Acceptance: 30 cells, 30 wardens; one round logged at 08:10 tomorrow."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    add_wardens(engine, 30, tmp_path)
    services.auto_assign(engine, park)
    services.set_schedule(engine, park, None)
    tomorrow = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=1)).date().isoformat()
    _, cells, posts, _ = active(engine, park)
    first = cells["code"].iloc[0]
    holder = next(name for code, name, _ in posts if code == first)
    services.record_round(engine, park, first, holder, at=f"{tomorrow}T08:10", now=LATER)
    at10 = services.coverage_report(engine, park, at=f"{tomorrow}T10:00")
    assert at10.ok == (first,) and len(at10.overdue) == 29 and at10.due == ()
    assert at10.unstaffed == () and at10.unscheduled == ()
    at1230 = services.coverage_report(engine, park, at=f"{tomorrow}T12:30")
    assert at1230.due == (first,) and len(at1230.overdue) == 29 and at1230.ok == ()
    # every scheduled cell is in exactly one list
    assert sorted(at1230.due + at1230.overdue + at1230.ok) == sorted(cells["code"])
    loads = {w.warden: w for w in at1230.wardens}
    assert len(loads) == 30 and all(w.rounds_today == 3 for w in loads.values())
    assert loads[holder].rounds_left == 2
    summary = services.coverage_report(
        engine, park, at=f"{tomorrow}T12:30", day=datetime.fromisoformat(tomorrow).date()
    )
    row = next(c for c in summary.day.cells if c.code == first)
    # the round was logged without a position: a round without proof (issue 16)
    assert row == CellDay(
        code=first, expected=3, done=1, late=0, missed=0, rounds=1, without_proof=1
    )


def test_coverage_of_an_earlier_moment_uses_the_plan_of_then(engine, park):
    from datetime import UTC, datetime, timedelta

    before = datetime.now(UTC)
    services.grid(engine, park, count=12)
    now = services.coverage_report(engine, park)
    assert now.cells_total == 12 and now.plan_version == 2
    then = services.coverage_report(engine, park, at=before)
    assert then.cells_total == 30 and then.plan_version == 1
    with pytest.raises(NotFound, match="had no grid plan"):
        services.coverage_report(engine, park, at=before - timedelta(days=1))
    with pytest.raises(InvalidInput, match="not an ISO time"):
        services.coverage_report(engine, park, at="noon")


def test_a_schedule_counts_rounds_from_when_it_was_set_and_keeps_that_through_a_regrid(
    engine, park
):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Shanghai")
    day = datetime.now(tz).date() + timedelta(days=1)  # after the plans written now
    at = lambda hhmm: datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=tz)  # noqa: E731
    services.set_schedule(engine, park, None, since=at("14:00"))
    report = services.coverage_report(engine, park, at=at("14:30"))
    assert report.overdue == () and len(report.ok) == 30  # 08:00 and 12:00 were nobody's due
    assert len(services.coverage_report(engine, park, at=at("19:31")).overdue) == 30
    services.grid(engine, park, count=12)
    assert len(services.coverage_report(engine, park, at=at("14:30")).ok) == 12
    with reading(engine) as s:
        since = set(s.execute(select(Schedule.since_s)).scalars())
    assert since == {int(at("14:00").timestamp())}


@pytest.mark.parametrize(
    ("code", "first"),
    [("230102", "230102001"), ("230102001", "230102001001"), ("230102001002", "230102001002001"),
     ("HB-", "HB-001")],
)  # fmt: skip
def test_administrative_code_prefixes(engine, code, first):
    slug = services.add_area(engine, PARK, name=f"Park {code}", code=code).slug
    services.grid(engine, slug, count=30)
    codes = sorted(services.plan_cells(engine, slug)["code"])
    assert codes[0] == first and codes[-1] == first[:-3] + "030"
    assert all(c.startswith(code) and len(c) == len(first) for c in codes)


@pytest.mark.parametrize("code", ["2301020", "23010", "2301020010020", "37 02 12"])
def test_administrative_codes_of_the_wrong_length_are_refused(engine, code):
    with pytest.raises(InvalidInput, match="code prefix"):
        services.add_area(engine, PARK, name="Park", code=code)
    assert services.list_areas(engine) == []
