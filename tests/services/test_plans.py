"""Grid plans: cells stored exactly, re-grids that keep posts and codes, dry runs and previews, conflicts, restoring and importing drawn cells (SQLite and PostGIS)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import shapely
from sqlalchemy import func, select

from gridmgr import services
from gridmgr.db.models import GridPlan
from gridmgr.db.store import reading
from gridmgr.errors import Conflict, NotFound
from gridmgr.geometry.projection import metric_crs, to_metric

from servicetools import active, add_wardens


def test_cells_are_stored_and_load_back_exactly(engine, park):
    plan, cells, _, _ = active(engine, park)
    assert plan.version == 1 and len(cells) == 30
    assert list(cells["code"]) == [f"HAIBIN-CHILDRENS-PARK-{k:03d}" for k in range(1, 31)]
    area = shapely.union_all(np.asarray(cells.geometry.values))
    crs = metric_crs(area)
    m = to_metric(np.asarray(cells.geometry.values), crs)
    np.testing.assert_allclose(shapely.area(m), shapely.area(m).mean(), rtol=1e-6)


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
