"""Checkpoints, their wardens and shifts, caps and slots, and checkpoints as coverage gaps, on SQLite
and PostGIS."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from gridmgr import services
from gridmgr.errors import Conflict, InvalidInput, NotFound
from gridmgr.services.checkpoints import (
    add_checkpoint,
    checkpoint_gaps,
    get_capacity,
    list_checkpoints,
    set_capacity,
    staff_checkpoint,
)
from gridmgr.services.finding_views import Actor
from gridmgr.services.occupancy import record_count

from conftest import GEODATA

GATE = (120.4641, 36.1030)  # inside the demo park
TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def park(engine):
    slug = services.add_area(engine, GEODATA / "demo_park.geojson", name="Daowai", kind="park").slug
    for name in ("张伟", "李娜"):
        services.add_warden(engine, name)
    return slug


def test_add_list_and_staff_checkpoints(engine, park):
    north = add_checkpoint(engine, park, name="北门", lon=GATE[0], lat=GATE[1])
    south = add_checkpoint(engine, park, name="南门", lon=120.4607, lat=36.1018)  # on the edge
    assert (north.name, north.area, north.posts) == ("北门", park, ())
    staffed = staff_checkpoint(engine, park, north.id, "张伟", shift="08:00-16:00")
    assert [(p.warden, p.shift) for p in staffed.posts] == [("张伟", ("08:00", "16:00"))]
    again = staff_checkpoint(engine, park, north.id, "张伟")  # posted again: all day now
    assert [(p.warden, p.shift) for p in again.posts] == [("张伟", None)]
    assert [c.id for c in list_checkpoints(engine, park)] == [north.id, south.id]
    with pytest.raises(Conflict, match="already has a checkpoint named"):
        add_checkpoint(engine, park, name="北门", lon=GATE[0], lat=GATE[1])
    with pytest.raises(InvalidInput, match="m from area"):
        add_checkpoint(engine, park, name="swapped", lon=GATE[1], lat=GATE[0] - 90)
    with pytest.raises(InvalidInput, match="m from area"):
        add_checkpoint(engine, park, name="far", lon=121.0, lat=36.1)
    with pytest.raises(NotFound, match="no checkpoint 999"):
        staff_checkpoint(engine, park, 999, "张伟")
    with pytest.raises(NotFound, match="no warden named"):
        staff_checkpoint(engine, park, north.id, "nobody")
    with pytest.raises(InvalidInput, match="ends before it starts"):
        staff_checkpoint(engine, park, north.id, "李娜", shift="18:00-08:00")


def test_capacity_set_replaces_caps_and_slots(engine, park):
    got = set_capacity(
        engine,
        park,
        max_capacity=20_000,
        percent=30,
        slots=["08:00-11:00=3000", "11:00-14:00=3000"],
    )
    assert got.limit == 6000 and [s.label for s in got.slots] == ["08:00-11:00", "11:00-14:00"]
    stored = get_capacity(engine, park)
    assert stored.limit == 6000 and stored.slots == got.slots
    assert get_capacity(engine, park).cap.percent == 30
    set_capacity(engine, park, instant=600)
    stored = get_capacity(engine, park)
    assert (stored.limit, stored.slots, stored.cap.max_capacity) == (600, (), None)
    with pytest.raises(InvalidInput, match="overlap"):
        set_capacity(engine, park, slots=["08:00-11:00=1", "10:00-12:00=1"])
    assert get_capacity(engine, park).limit == 600  # a refused set changes nothing


def test_unstaffed_and_unattended_checkpoints_are_gaps(engine, park):
    north = add_checkpoint(engine, park, name="北门", lon=GATE[0], lat=GATE[1])
    south = add_checkpoint(engine, park, name="南门", lon=GATE[0], lat=GATE[1] + 0.0005)
    staff_checkpoint(engine, park, north.id, "张伟", shift="08:00-16:00")
    morning = datetime(2026, 1, 10, 9, 0, tzinfo=TZ)
    gaps = checkpoint_gaps(engine, park, at=morning)
    assert (gaps.total, gaps.unstaffed, gaps.unattended) == (2, [south.id], [north.id])
    boss = Actor("boss", "manager")
    record_count(engine, park, north.id, boss, n_in=3, at="2026-01-10T09:30")
    assert (
        checkpoint_gaps(engine, park, at=datetime(2026, 1, 10, 10, 0, tzinfo=TZ)).unattended == []
    )
    evening = checkpoint_gaps(engine, park, at=datetime(2026, 1, 10, 20, 0, tzinfo=TZ))
    assert {c.id: c.state for c in evening.checkpoints} == {north.id: "off", south.id: "unstaffed"}
    next_day = checkpoint_gaps(engine, park, at=datetime(2026, 1, 11, 9, 0, tzinfo=TZ))
    assert next_day.unattended == [north.id]  # yesterday's counts do not attend today's shift
