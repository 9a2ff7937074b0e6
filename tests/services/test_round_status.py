"""A plan's schedules and rounds read for the 3+N rules: the same cells read by id, by plan or by plans
give the same statuses, rounds after the moment or before the window are left out."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from gridmgr import services
from gridmgr.db.models import Cell, GridPlan
from gridmgr.db.store import reading
from gridmgr.services.round_status import positions_among, read_rounds

from servicetools import active, add_wardens

TZ = ZoneInfo("Asia/Shanghai")


def test_the_three_ways_of_naming_the_cells_read_alike(engine, park, tmp_path):
    add_wardens(engine, 30, tmp_path)
    services.auto_assign(engine, park)
    codes = [f"HAIBIN-CHILDRENS-PARK-{k:03d}" for k in range(1, 21)]
    services.set_schedule(engine, park, codes[:10])
    services.set_schedule(engine, park, codes[10:], times=["09:00", "15:00"], extra=1)
    day = (datetime.now(TZ) + timedelta(days=1)).date()
    later = datetime.now(TZ) + timedelta(days=4)
    _, cells, posts, _ = active(engine, park)
    holder = {c: n for c, n, _ in posts}
    logged = {}
    for k, code in enumerate(codes[::2]):
        at = datetime.fromisoformat(f"{day}T08:00").replace(tzinfo=TZ) + timedelta(minutes=37 * k)
        services.record_round(engine, park, code, holder[code], at=at, now=later)
        logged[code] = at
    moment = datetime.fromisoformat(f"{day}T10:30").replace(tzinfo=TZ)
    with reading(engine) as s:
        plan_id = s.execute(select(GridPlan.id).where(GridPlan.active)).scalar_one()
        rows = s.execute(select(Cell.id, Cell.code).where(Cell.plan_id == plan_id)).all()
        ids = np.array([i for i, _ in rows])
        shuffled = ids[::-1].copy()
        by_ids = read_rounds(s, shuffled, TZ, moment)
        by_plan = read_rounds(s, ids, TZ, moment, plan_id=plan_id)
        by_plans = read_rounds(s, ids, TZ, moment, plan_ids=[plan_id])
    code_of = dict(rows)
    # rhythms follow the order the ids were given in
    scheduled = [code_of[int(i)] for i, r in zip(shuffled, by_ids.rhythms, strict=True) if r]
    assert sorted(scheduled) == codes
    # only the rounds up to the moment are read, each in its cell
    read = sorted(code_of[int(shuffled[k])] for k in by_ids.log_cell)
    assert read == sorted(c for c, at in logged.items() if at <= moment)
    a, b, c = (x.status(moment, TZ) for x in (by_ids, by_plan, by_plans))
    assert list(a.status[::-1]) == list(b.status) == list(c.status)
    assert list(a.done[::-1]) == list(b.done) == list(c.done)
    report = services.coverage_report(engine, park, at=moment)
    status = dict(zip((code_of[int(i)] for i in ids), b.status, strict=True))
    for name in ("ok", "due", "overdue"):
        assert sorted(k for k, v in status.items() if v == name) == sorted(getattr(report, name))
    assert sum(v == "unscheduled" for v in status.values()) == len(cells) - len(codes)


@settings(max_examples=60, deadline=None)
@given(st.sets(st.integers(1, 50_000), min_size=1, max_size=40), st.data())
def test_positions_of_cell_ids_by_table_or_by_search(ids, data):
    """Dense or sparse ids (a table or a binary search), the position of each id asked is its
    index among the ids."""
    given_ids = np.asarray(sorted(ids, key=lambda i: (i * 7919) % 101), np.int64)  # not sorted
    asked = data.draw(st.lists(st.sampled_from(sorted(ids)), max_size=30))
    found = positions_among(given_ids)(asked)
    assert found.tolist() == [given_ids.tolist().index(a) for a in asked]
