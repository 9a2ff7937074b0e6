"""The roster: every warden with the cells held in active plans, an area's cells with posts, schedule and
the day's rounds as the coverage report judges them, and wardens taken off cells."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gridmgr import services
from gridmgr.errors import NotFound
from gridmgr.services.roster import area_staff, list_wardens, unassign, warden_names

from servicetools import active, add_wardens

TZ = ZoneInfo("Asia/Shanghai")


def test_the_roster_lists_what_each_warden_holds_in_active_plans(engine, park, tmp_path):
    add_wardens(engine, 12, tmp_path)
    services.auto_assign(engine, park)
    services.add_warden(engine, "没岗位")
    _, _, posts, _ = active(engine, park)
    rows = list_wardens(engine)
    assert [r.name for r in rows] == sorted(r.name for r in rows) == warden_names(engine)
    for row in rows:
        held = sorted(c for c, n, _ in posts if n == row.name)
        assert sorted(row.cells.get(park, ())) == held and row.cell_count == len(held)
    assert next(r for r in rows if r.name == "没岗位").cells == {}
    services.grid(engine, park, count=10)  # the old plan's posts no longer count
    _, _, posts, _ = active(engine, park)
    assert sum(r.cell_count for r in list_wardens(engine)) == len(posts)


def test_area_staff_agrees_with_the_coverage_report(engine, park, tmp_path):
    add_wardens(engine, 20, tmp_path)
    services.auto_assign(engine, park)
    services.set_schedule(engine, park, None)
    day = (datetime.now(TZ) + timedelta(days=1)).date()  # after the plan was made
    later = datetime.now(TZ) + timedelta(days=3)
    _, cells, posts, _ = active(engine, park)
    for code, name, _ in posts[::3]:
        services.record_round(engine, park, code, name, at=f"{day}T08:05", now=later)
    at = f"{day}T13:00"
    staff = area_staff(engine, park, at=at)
    report = services.coverage_report(engine, park, at=at)
    assert [c.code for c in staff.cells] == list(cells["code"]) and len(staff.shapes) == len(cells)
    for status in ("ok", "due", "overdue"):
        assert sorted(c.code for c in staff.cells if c.status == status) == sorted(
            getattr(report, status)
        )
    for cell in staff.cells:
        assert sorted(p.name for p in cell.posts) == sorted(
            n for c, n, _ in posts if c == cell.code
        )
        assert cell.rounds_expected == 3 and 0 <= cell.rounds_done <= cell.rounds_expected


def test_unassign_takes_a_warden_off_cells(engine, park):
    services.add_warden(engine, "张伟")
    codes = ["HAIBIN-CHILDRENS-PARK-001", "HAIBIN-CHILDRENS-PARK-002"]
    services.assign(engine, park, codes, "张伟")
    got = unassign(engine, park, codes[:1], "张伟")
    assert (got.warden, got.cells, got.removed) == ("张伟", tuple(codes[:1]), 1)
    assert list_wardens(engine)[0].cells == {park: (codes[1],)}
    with pytest.raises(NotFound, match="holds none of the cells"):
        unassign(engine, park, codes[:1], "张伟")
    with pytest.raises(NotFound, match="no warden named"):
        unassign(engine, park, codes, "nobody")
