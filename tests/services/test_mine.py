"""A warden's own cells: every cell it holds in active plans with its role, the day's fixed rounds and
their states, extra rounds and logs, judged as the coverage report judges them."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gridmgr import services
from gridmgr.errors import NotFound
from gridmgr.services.mine import ROUND_STATUSES, warden_cells

from servicetools import PARK

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
