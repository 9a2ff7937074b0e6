"""The coverage report: unstaffed, unscheduled, due and overdue cells, gaps and overlaps, at any moment (SQLite and PostGIS)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import geopandas as gpd
import numpy as np
import pytest
import shapely
from sqlalchemy import select

from gridmgr import services
from gridmgr.db.models import Schedule
from gridmgr.db.store import reading
from gridmgr.errors import InvalidInput, NotFound
from gridmgr.geometry.projection import to_wgs84
from gridmgr.services.coverage import CellDay

from servicetools import active, add_wardens

LATER = datetime.now(UTC) + timedelta(days=3)  # "now" for rounds logged on days still to come


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
