"""The cells of the plan in force at a moment, with each cell's state and the plan's schedules when
asked; None before an area is gridded."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from gridmgr import services
from gridmgr.services.cellmap import plan_cells_at

from servicetools import PARK


def test_the_plan_in_force_then_and_now(engine, park):
    before = datetime.now(UTC)
    services.grid(engine, park, count=12)
    now = plan_cells_at(engine, park)
    then = plan_cells_at(engine, park, at=before)
    assert (now.plan_version, len(now.cells)) == (2, 12) and (
        then.plan_version,
        len(then.cells),
    ) == (1, 30)
    assert list(now.cells["code"]) == sorted(now.cells["code"]) and now.states is None
    fresh = services.add_area(engine, PARK, name="Empty park").slug
    assert plan_cells_at(engine, fresh) is None and plan_cells_at(engine, fresh, at=before) is None


def test_states_and_schedules_come_with_the_cells(engine, park):
    services.add_warden(engine, "张伟")
    services.assign(engine, park, ["HAIBIN-CHILDRENS-PARK-001"], "张伟")
    services.set_schedule(engine, park, ["HAIBIN-CHILDRENS-PARK-002"], extra=1)
    services.set_schedule(engine, park, ["HAIBIN-CHILDRENS-PARK-003"], times=["07:00", "19:00"])
    services.set_schedule(engine, park, ["HAIBIN-CHILDRENS-PARK-004"], extra=1)
    got = plan_cells_at(engine, park, states=True, schedules=True)
    assert list(got.states.code) == list(got.cells["code"])
    status = dict(zip(got.states.code, got.states.status, strict=True))
    report = services.coverage_report(engine, park)
    assert status.pop("HAIBIN-CHILDRENS-PARK-001") == "unscheduled"  # staffed, no schedule
    assert {c for c, s in status.items() if s == "unstaffed"} == {
        "HAIBIN-CHILDRENS-PARK-002", "HAIBIN-CHILDRENS-PARK-003", "HAIBIN-CHILDRENS-PARK-004",
    }  # fmt: skip
    assert set(status) == set(report.unstaffed) and set(status.values()) == {
        "unstaffed",
        "unscheduled",
    }
    assert sorted(got.schedules) == [(("07:00", "19:00"), 0), (("08:00", "12:00", "18:00"), 1)]
    ids = dict(zip(got.cells["code"], got.cells["id"], strict=True))
    of = {
        code: got.schedules[got.schedule_of[int(ids[code])]]
        for code in ids
        if int(ids[code]) in got.schedule_of
    }
    assert of == {
        "HAIBIN-CHILDRENS-PARK-002": (("08:00", "12:00", "18:00"), 1),
        "HAIBIN-CHILDRENS-PARK-003": (("07:00", "19:00"), 0),
        "HAIBIN-CHILDRENS-PARK-004": (("08:00", "12:00", "18:00"), 1),
    }
    assert np.isnan(got.states.last_round).all()
