"""The queries every use case shares: an area by slug (NotFound listing those there are), its active
plan and cells, codes to ids, schedules as rhythms, the plan in force at a moment, audit lines."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from gridmgr import services
from gridmgr.db.models import AuditEvent, Schedule
from gridmgr.db.queries import (
    SCHEDULE_COLUMNS,
    active_cells,
    active_plan,
    cell_ids,
    get_area,
    id_in_range,
    plan_at,
    plan_schedules,
    record_audit,
    rhythm_of,
)
from gridmgr.db.store import reading, transaction
from gridmgr.errors import InvalidInput, NotFound
from gridmgr.rules.schedule import Rhythm

from servicetools import PARK


@pytest.fixture
def park(engine):
    """The demo park stored and split into 30 cells."""
    slug = services.add_area(engine, PARK, name="Haibin Children's Park", kind="park").slug
    services.grid(engine, slug, count=30)
    return slug


def test_an_area_its_plan_and_cells(engine, park):
    with reading(engine) as s:
        area = get_area(s, park)
        plan = active_plan(s, area.id)
        got_area, got_plan, cells = active_cells(s, park)
        assert (got_area.id, got_plan.id, plan.version, len(cells)) == (area.id, plan.id, 1, 30)
        codes = list(cells["code"][[4, 0, 29]])
        assert cell_ids(cells, codes, park) == [int(cells["id"][k]) for k in (4, 0, 29)]
        with pytest.raises(NotFound, match="has no cell 'X-1' in its active plan"):
            cell_ids(cells, [codes[0], "X-1"], park)
        with pytest.raises(NotFound, match=f"no area 'nowhere'; areas: {park}"):
            get_area(s, "nowhere")
    fresh = services.add_area(engine, PARK, name="Fresh").slug
    with reading(engine) as s:
        assert active_plan(s, get_area(s, fresh).id) is None
        with pytest.raises(InvalidInput, match="has no cells yet; grid it first"):
            active_cells(s, fresh)
        with pytest.raises(InvalidInput, match="has no cells yet"):
            plan_at(s, get_area(s, fresh).id, None, fresh)


def test_no_area_yet_says_how_to_add_one(engine):
    with (
        reading(engine) as s,
        pytest.raises(NotFound, match=r"areas: none yet \(gridmgr area add\)"),
    ):
        get_area(s, "park")


def test_the_plan_in_force_at_a_moment(engine, park):
    first = datetime.now(UTC)
    services.grid(engine, park, count=10)
    with reading(engine) as s:
        area_id = get_area(s, park).id
        assert plan_at(s, area_id, None, park).version == 2
        assert plan_at(s, area_id, first, park).version == 1
        assert plan_at(s, area_id, datetime.now(UTC) + timedelta(days=1), park).version == 2
        with pytest.raises(NotFound, match="had no grid plan at"):
            plan_at(s, area_id, first - timedelta(days=1), park)


def test_schedules_read_as_rhythms(engine, park):
    services.set_schedule(
        engine, park, ["HAIBIN-CHILDRENS-PARK-001"], times=["07:30", "19:00"], extra=2
    )
    with reading(engine) as s:
        plan = active_plan(s, get_area(s, park).id)
        rows = s.execute(plan_schedules(plan.id)).all()
        direct = s.execute(select(*SCHEDULE_COLUMNS)).all()
    assert rows == direct and len(rows) == 1
    _, *fields = rows[0]
    rhythm = rhythm_of(*fields)
    assert isinstance(rhythm, Rhythm) and rhythm.times == ("07:30", "19:00") and rhythm.extra == 2
    assert SCHEDULE_COLUMNS[0] is Schedule.cell_id


def test_an_audit_line_is_written_with_the_transaction_only(engine, park):
    with transaction(engine) as s:
        record_audit(s, "mgr", "test.action", None, note="无", n=3)
    with pytest.raises(RuntimeError), transaction(engine) as s:
        record_audit(s, "mgr", "test.rolled_back", None)
        raise RuntimeError("undo")
    with reading(engine) as s:
        rows = s.execute(
            select(AuditEvent.actor, AuditEvent.action, AuditEvent.details).where(
                AuditEvent.action.like("test.%")
            )
        ).all()
    assert [(a, b, json.loads(c)) for a, b, c in rows] == [
        ("mgr", "test.action", {"note": "无", "n": 3})
    ]


@given(value=st.integers())
def test_ids_out_of_the_databases_range_match_nothing(value):
    got = id_in_range(value)
    assert got == (value if 0 < value < 2**31 else 0)
