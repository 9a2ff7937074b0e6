"""A warden's own cells: every cell it holds in active plans with its role, the day's fixed rounds and
their states, extra rounds and logs, judged as the coverage report judges them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gridmgr import services
from gridmgr.errors import NotFound
from gridmgr.services.mine import ROUND_STATUSES, warden_cells

from servicetools import LATER, PARK, tomorrow_local

TZ = ZoneInfo("Asia/Shanghai")
C = "HAIBIN-CHILDRENS-PARK-"


def test_a_wardens_cells_and_their_rounds(engine, park):
    other = services.add_area(engine, PARK, name="Another park").slug
    services.grid(engine, other, count=4)
    services.add_warden(engine, "张伟")
    services.assign(engine, park, [f"{C}002", f"{C}001"], "张伟", role="leader")
    services.assign(engine, other, ["ANOTHER-PARK-003"], "张伟")
    services.set_schedule(engine, park, [f"{C}001"], extra=1)
    day = (datetime.now(TZ) + timedelta(days=1)).date()
    later = datetime.now(TZ) + timedelta(days=4)
    services.record_round(engine, park, f"{C}001", "张伟", at=f"{day}T08:10", note="ok", now=later)
    services.record_round(engine, park, f"{C}001", "张伟", at=f"{day}T12:45", now=later)
    at = f"{day}T12:50"
    got = warden_cells(engine, "张伟", at=at)
    assert got.warden == "张伟" and got.at.tzinfo is not None
    assert [(c.area, c.code, c.role) for c in got.cells] == [
        (other, "ANOTHER-PARK-003", "member"),  # by area name: "Another park" first
        (park, f"{C}001", "leader"),
        (park, f"{C}002", "leader"),
    ]
    cell = got.cells[1]
    assert [r.at.strftime("%H:%M") for r in cell.rounds] == ["08:00", "12:00", "18:00"]
    assert [r.status for r in cell.rounds] == ["done", "done", "upcoming"]
    assert all(r.opens <= r.at <= r.closes and r.status in ROUND_STATUSES for r in cell.rounds)
    assert (cell.extra.done, cell.extra.expected) == (0, 1)
    assert [(r.at.strftime("%H:%M"), r.note) for r in cell.logged] == [
        ("08:10", "ok"),
        ("12:45", None),
    ]
    assert (
        cell.last_round.strftime("%H:%M") == "12:45"
        and cell.next_round.strftime("%H:%M") == "18:00"
    )
    report = services.coverage_report(engine, park, at=at)
    assert cell.status == (
        "ok" if f"{C}001" in report.ok else "due" if f"{C}001" in report.due else "overdue"
    )
    assert got.cells[2].status == "unscheduled" and got.cells[2].rounds == ()
    services.grid(engine, park, count=12)  # posts carried to the new plan, old cells gone
    assert {c.code for c in warden_cells(engine, "张伟", at=at).cells} - {"ANOTHER-PARK-003"} <= {
        f"{C}{k:03d}" for k in range(31, 43)
    }
    with pytest.raises(NotFound, match="no warden named 'nobody'"):
        warden_cells(engine, "nobody")


def test_warden_cells_show_todays_rounds_by_the_schedule_rules(engine, seeded):
    from gridmgr import services

    code = seeded.codes[0]
    for t in ("08:10", "14:00", "15:10"):
        services.record_round(engine, seeded.slug, code, "warden1", at=tomorrow_local(t), now=LATER)
    mine = services.warden_cells(engine, "warden1", at=tomorrow_local("15:20"))
    assert [c.code for c in mine.cells] == [code]
    cell = mine.cells[0]
    assert cell.area == seeded.slug and cell.area_name == "Haibin Park"
    assert cell.geometry.geom_type in ("Polygon", "MultiPolygon")
    assert [(f"{r.at:%H:%M}", r.status) for r in cell.rounds] == [
        ("08:00", "done"),
        ("12:00", "late"),
        ("18:00", "upcoming"),
    ]
    assert (cell.extra.done, cell.extra.expected) == (1, 1)
    assert cell.status == "ok"
    assert cell.last_round.isoformat().endswith("15:10:00+08:00")
    assert len(cell.logged) == 3
    report = services.coverage_report(
        engine, seeded.slug, at=tomorrow_local("15:20"), with_cells=True
    )
    assert report.cells.status[0] == cell.status
    later = services.warden_cells(engine, "warden1", at=tomorrow_local("19:45"))
    assert [r.status for r in later.cells[0].rounds] == ["done", "late", "overdue"]
    assert later.cells[0].status == "overdue"
    due = services.warden_cells(engine, "warden2", at=tomorrow_local("08:20"))
    assert [r.status for r in due.cells[0].rounds] == ["due", "upcoming", "upcoming"]
    with pytest.raises(NotFound):
        services.warden_cells(engine, "nobody")


def test_warden_cells_agree_with_the_coverage_report_round_by_round(engine, seeded):
    """One warden in all 30 cells with rounds logged at scattered times: each cell's done and late
    rounds and its status are what the coverage report's day summary and cell status say."""
    import random

    from gridmgr import services

    services.assign(engine, seeded.slug, seeded.codes, "warden1")
    services.set_schedule(engine, seeded.slug, seeded.codes[:10], times=["08:00", "09:00"], extra=0)
    rng = random.Random(7)
    day = (datetime.now(UTC) + timedelta(hours=8) + timedelta(days=1)).date()  # after the plan
    for code in seeded.codes:
        for _ in range(rng.randrange(0, 5)):
            minute = rng.randrange(6 * 60, 22 * 60)
            at = f"{day.isoformat()}T{minute // 60:02d}:{minute % 60:02d}"
            services.record_round(engine, seeded.slug, code, "warden1", at=at, now=LATER)
    for hhmm in ("08:45", "12:10", "23:59"):
        moment = f"{day.isoformat()}T{hhmm}"
        mine = {c.code: c for c in services.warden_cells(engine, "warden1", at=moment).cells}
        report = services.coverage_report(engine, seeded.slug, at=moment, day=day, with_cells=True)
        round_status = dict(zip(report.cells.code, report.cells.round_status, strict=True))
        assert len(mine) == 30
        for row in report.day.cells:
            rounds = [r.status for r in mine[row.code].rounds]
            assert rounds.count("done") == row.done, (hhmm, row)
            assert rounds.count("late") == row.late, (hhmm, row)
            assert rounds.count("overdue") == row.missed, (hhmm, row)
            assert mine[row.code].status == round_status[row.code], hhmm
