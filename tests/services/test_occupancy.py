"""Counting at the gates on SQLite and PostGIS: the caps of the Harbin report, replays, overrides,
the counter against the events, gates racing at the limit, the day's curve."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import date

import pytest
import shapely
from sqlalchemy import select

from gridmgr import services
from gridmgr.db.models import AuditEvent, GateEvent
from gridmgr.db.store import reading
from gridmgr.errors import AtCapacity, Conflict, Forbidden, InvalidInput
from gridmgr.services.checkpoints import add_checkpoint, set_capacity, staff_checkpoint
from gridmgr.services.finding_views import Actor
from gridmgr.services.occupancy import Recount, occupancy, occupancy_curve, record_count, recount

from conftest import GEODATA

BOSS = Actor("boss", "manager")
GATE = (120.4641, 36.1030)


@pytest.fixture
def site(engine):
    slug = services.add_area(engine, GEODATA / "demo_park.geojson", name="Old Daowai").slug
    services.add_warden(engine, "张伟")
    services.add_warden(engine, "李娜")
    gates = [
        add_checkpoint(engine, slug, name=f"gate {k}", lon=GATE[0], lat=GATE[1] + k * 1e-4).id
        for k in range(2)
    ]
    staff_checkpoint(engine, slug, gates[0], "张伟")
    staff_checkpoint(engine, slug, gates[1], "李娜")
    return slug, gates


def warden(name: str) -> Actor:
    return Actor(name, "warden", name)


def test_old_daowai_600_at_once(engine, site):
    slug, (g1, g2) = site
    set_capacity(engine, slug, instant=600)
    for k in range(60):
        made, new = record_count(engine, slug, g1 if k % 2 else g2, BOSS, n_in=10)
        assert new
    assert (made.occupancy, made.limit, made.status) == (600, 600, "full")
    with pytest.raises(AtCapacity, match="room for 0") as refused:
        record_count(engine, slug, g1, warden("张伟"), n_in=1)
    assert refused.value.details == {"occupancy": 600, "limit": 600, "room": 0, "reason": "limit"}
    out, _ = record_count(engine, slug, g1, BOSS, n_out=1)
    assert (out.occupancy, out.status) == (599, "near")
    key = str(uuid.uuid4())
    back, new = record_count(engine, slug, g1, BOSS, n_in=1, idempotency_key=key)
    assert new and back.occupancy == 600
    again, new = record_count(engine, slug, g1, BOSS, n_in=1, idempotency_key=key)
    assert not new and again == back  # the first answer, nothing written
    now = occupancy(engine, slug)
    assert (now.occupancy, now.limit, now.status, now.entries, now.exits) == (
        600,
        600,
        "full",
        601,
        1,
    )
    assert {c.id: (c.n_in, c.n_out) for c in now.checkpoints} == {g1: (301, 1), g2: (300, 0)}
    assert recount(engine, slug) == Recount(600, 601, 1)
    with pytest.raises(Conflict, match="another checkpoint"):
        record_count(engine, slug, g2, BOSS, n_in=1, idempotency_key=key)


def test_sun_island_slots(engine, site):
    slug, (g1, _) = site
    set_capacity(
        engine, slug, max_capacity=20_000, percent=30,
        slots=["08:00-11:00=3000", "11:00-14:00=3000", "14:00-17:00=3000"],
    )  # fmt: skip
    day = "2026-01-10"
    for _ in range(3):
        record_count(engine, slug, g1, BOSS, n_in=1000, at=f"{day}T09:00")
    with pytest.raises(AtCapacity, match="08:00-11:00 has taken 3000 of its 3000"):
        record_count(engine, slug, g1, BOSS, n_in=1, at=f"{day}T10:59")
    record_count(engine, slug, g1, BOSS, n_out=3000, at=f"{day}T10:59")
    opened, _ = record_count(engine, slug, g1, BOSS, n_in=1, at=f"{day}T11:00")
    assert (opened.occupancy, opened.limit) == (1, 6000)
    with pytest.raises(AtCapacity, match="no entry slot"):
        record_count(engine, slug, g1, BOSS, n_in=1, at=f"{day}T07:59")
    then = occupancy(engine, slug, at=f"{day}T11:30")
    assert [(s.start, s.quota, s.entries) for s in then.slots] == [
        ("08:00", 3000, 3000), ("11:00", 3000, 1), ("14:00", 3000, 0),
    ]  # fmt: skip
    assert then.current_slot is not None and then.current_slot.start == "11:00"
    assert then.next_slot is not None and then.next_slot.start == "14:00"


def test_who_may_count_and_overrides_are_audited(engine, site):
    slug, (g1, g2) = site
    set_capacity(engine, slug, instant=2)
    record_count(engine, slug, g1, warden("张伟"), n_in=2)
    with pytest.raises(Forbidden, match="not posted at checkpoint"):
        record_count(engine, slug, g1, warden("李娜"), n_in=1)
    with pytest.raises(Forbidden, match="only a manager"):
        record_count(engine, slug, g1, warden("张伟"), n_in=1, override=True, reason="x")
    with pytest.raises(InvalidInput, match="reason"):
        record_count(engine, slug, g1, BOSS, n_in=1, override=True)
    over, _ = record_count(engine, slug, g2, BOSS, n_in=3, override=True, reason="旅游团已预约")
    assert (over.occupancy, over.status, over.override) == (5, "full", True)
    with reading(engine) as s:
        audit = (
            s.execute(select(AuditEvent).where(AuditEvent.action == "count.override"))
            .scalars()
            .all()
        )
        assert len(audit) == 1 and "旅游团已预约" in audit[0].details
        assert (
            s.execute(select(GateEvent.reason).where(GateEvent.override)).scalar() == "旅游团已预约"
        )
    with pytest.raises(InvalidInput, match="more than 24 hours ago"):
        record_count(engine, slug, g1, warden("张伟"), n_out=1, at="2026-01-10T09:00")
    with pytest.raises(InvalidInput, match="in the future"):
        record_count(engine, slug, g1, BOSS, n_out=1, at="2999-01-10T09:00")
    with pytest.raises(InvalidInput, match="only 5 people inside"):
        record_count(engine, slug, g1, warden("张伟"), n_out=6)


def race(engine, slug, gates, each: int) -> list[int]:
    """Each gate a thread counting `each` single entries as fast as it can; the accepted per gate."""
    accepted = [0] * len(gates)
    start = threading.Barrier(len(gates))

    def gate(k: int) -> None:
        start.wait()
        for _ in range(each):
            try:
                record_count(engine, slug, gates[k], BOSS, n_in=1, idempotency_key=uuid.uuid4().hex)
                accepted[k] += 1
            except AtCapacity:
                pass

    threads = [threading.Thread(target=gate, args=(k,)) for k in range(len(gates))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return accepted


def test_two_gates_racing_at_the_limit_never_pass_it(engine, site):
    """Acceptance 3 in full: two gates racing 1,000 entries each at a limit of 1,500 (a few seconds
    since a count runs four statements)."""
    each, limit = 1000, 1500
    slug, gates = site
    set_capacity(engine, slug, instant=limit)
    accepted = race(engine, slug, gates, each)
    assert sum(accepted) == limit and min(accepted) > 0
    now = occupancy(engine, slug)
    assert now.occupancy == now.entries == limit
    assert recount(engine, slug) == Recount(limit, limit, 0)
    with reading(engine) as s:
        after = s.execute(select(GateEvent.occupancy_after).order_by(GateEvent.id)).scalars().all()
    assert after == list(range(1, limit + 1))  # in commit order: one more each time, never past


def test_replays_racing_store_one_count(engine, site):
    slug, (g1, _) = site
    key = uuid.uuid4().hex
    answers = []
    start = threading.Barrier(6)

    def send():
        start.wait()
        answers.append(record_count(engine, slug, g1, BOSS, n_in=1, idempotency_key=key))

    threads = [threading.Thread(target=send) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(new for _, new in answers) == 1
    assert len({made for made, _ in answers}) == 1
    assert occupancy(engine, slug).occupancy == 1


def test_the_days_curve_peaks_per_step_and_carries_on(engine, site):
    slug, (g1, _) = site
    day = date(2026, 1, 10)
    for at, n_in, n_out in [("09:01", 5, 0), ("09:05", 3, 0), ("09:08", 0, 6), ("09:40", 4, 0)]:
        record_count(engine, slug, g1, BOSS, n_in=n_in, n_out=n_out, at=f"{day}T{at}")
    curve = occupancy_curve(engine, slug, day=day, step_min=10)
    assert len(curve.times) == 144 and curve.times[54] == "09:00"
    assert curve.occupancy[53:59] == (0, 8, 2, 2, 2, 6)
    assert curve.occupancy[-1] == 6


# --- a parent's caps are its children's summed ------------------------------------------------------


@pytest.fixture
def quarter(engine):
    """Old Daowai as a parent of two blocks (its west and east halves), a gate in each; slugs and
    gate ids."""
    park = services.add_area(engine, GEODATA / "demo_park.geojson", name="Old Daowai")
    outline = services.get_area(engine, park.slug).outline
    x0, y0, x1, y1 = outline.bounds
    mid = (x0 + x1) / 2
    blocks, gates = [], []
    for k, box in enumerate((shapely.box(x0, y0, mid, y1), shapely.box(mid, y0, x1, y1))):
        half = box.intersection(outline)
        block = services.add_area(
            engine, geojson=json.loads(shapely.to_geojson(half)), name=f"block {k}",
            slug=f"block-{k}", parent=park.slug,
        ).slug  # fmt: skip
        at = half.representative_point()
        gates.append(add_checkpoint(engine, block, name="gate", lon=at.x, lat=at.y).id)
        blocks.append(block)
    return park.slug, blocks, gates


def test_a_parents_limit_slots_and_counts_are_its_childrens_summed(engine, quarter):
    parent, (west, east), (gw, ge) = quarter
    set_capacity(engine, west, instant=100, slots=["08:00-12:00=50"])
    set_capacity(
        engine, east, max_capacity=1000, percent=30, slots=["08:00-12:00=70", "12:00-18:00=20"]
    )
    day = "2026-01-10"
    record_count(engine, west, gw, BOSS, n_in=40, at=f"{day}T09:00")
    record_count(engine, east, ge, BOSS, n_in=60, at=f"{day}T09:30")
    record_count(engine, east, ge, BOSS, n_out=10, at=f"{day}T10:00")
    record_count(engine, east, ge, BOSS, n_in=15, at=f"{day}T13:00")
    then = occupancy(engine, parent, at=f"{day}T13:30")
    kids = [occupancy(engine, b, at=f"{day}T13:30") for b in (west, east)]
    assert then.limit == 100 + 300 == sum(k.limit or 0 for k in kids)
    assert then.occupancy == 105 == sum(k.occupancy for k in kids)
    assert (then.entries, then.exits, then.children) == (115, 10, 2)
    assert [(s.start, s.end, s.quota, s.entries) for s in then.slots] == [
        ("08:00", "12:00", 120, 100), ("12:00", "18:00", 20, 15),
    ]  # fmt: skip
    assert {(c.id, c.n_in, c.n_out) for c in then.checkpoints} == {(gw, 40, 0), (ge, 75, 10)}
    assert recount(engine, parent, day=date(2026, 1, 10)) == Recount(105, 115, 10)
    curve = occupancy_curve(engine, parent, day=date(2026, 1, 10), step_min=60)
    assert curve.limit == 400 and max(curve.occupancy) == 105
    caps = services.checkpoints.get_capacity(engine, parent)
    assert (caps.limit, caps.children, [s.quota for s in caps.slots]) == (400, 2, [120, 20])
    # each block still refuses past its own limit: the parent can never pass the sum
    with pytest.raises(AtCapacity):
        record_count(engine, west, gw, BOSS, n_in=61, at=f"{day}T13:40")


def test_a_parent_without_a_limit_on_every_child_has_no_limit(engine, quarter):
    parent, (west, _), _ = quarter
    set_capacity(engine, west, instant=100)
    now = occupancy(engine, parent)
    assert (now.limit, now.status, now.children) == (None, "open", 2)


def test_caps_and_gates_go_on_the_children_of_a_parent_and_nothing_is_written(engine, quarter):
    parent, _, _ = quarter

    def audited():
        with reading(engine) as s:
            return len(s.execute(select(AuditEvent.id)).all())

    before = audited()
    with pytest.raises(InvalidInput, match=r"block-0, block-1.*sum of its children"):
        set_capacity(engine, parent, instant=600)
    with pytest.raises(InvalidInput, match=r"has child areas.*add it there"):
        add_checkpoint(engine, parent, name="north gate", lon=GATE[0], lat=GATE[1])
    assert audited() == before and occupancy(engine, parent).limit is None
