"""The cap rules: the limit, slots, the status of a count, what a count may do, a checkpoint's state."""

from __future__ import annotations

import math
from datetime import time
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridmgr.errors import AtCapacity, InvalidInput
from gridmgr.rules.capacity import (
    Slot,
    apply_count,
    checked_cap,
    checked_slots,
    checkpoint_state,
    limit_of,
    next_slot,
    parse_slot,
    slot_at,
    status_of,
)


def test_a_park_of_20000_at_30_percent_takes_6000_and_an_instant_cap_can_be_lower():
    assert limit_of(20_000, Decimal(30), None) == 6000
    assert limit_of(20_000, Decimal(30), 600) == 600
    assert limit_of(None, None, 600) == 600
    assert limit_of(None, None, None) is None
    assert checked_cap(999, "33.3", None).limit == 332  # floor(332.667)


@given(
    st.integers(0, 10_000_000),
    st.decimals(min_value=Decimal("0.001"), max_value=100, places=3),
    st.one_of(st.none(), st.integers(0, 10_000_000)),
)
def test_the_limit_is_the_smaller_of_the_floor_and_the_instant_cap(n, p, instant):
    got = limit_of(n, p, instant)
    rated = math.floor(Decimal(n) * p / 100)
    assert got == (rated if instant is None else min(rated, instant))
    assert got is not None and got <= n


def test_caps_need_capacity_and_percent_together_and_in_range():
    with pytest.raises(InvalidInput, match="go together"):
        checked_cap(20_000, None, None)
    with pytest.raises(InvalidInput, match="at most 100"):
        checked_cap(20_000, 130, None)
    with pytest.raises(InvalidInput, match="not a number"):
        checked_cap(20_000, "thirty", None)
    with pytest.raises(InvalidInput, match="instant cap"):
        checked_cap(None, None, -1)


def test_slots_parse_order_and_refuse_overlaps():
    assert parse_slot("8:00-11:00=3000") == Slot("08:00", "11:00", 3000)
    slots = checked_slots([parse_slot("14:00-17:00=3000"), parse_slot("08:00-11:00=3000")])
    assert [s.start for s in slots] == ["08:00", "14:00"]
    with pytest.raises(InvalidInput, match="overlap"):
        checked_slots([parse_slot("08:00-11:00=1"), parse_slot("10:00-12:00=1")])
    with pytest.raises(InvalidInput, match="ends before it starts"):
        parse_slot("11:00-08:00=1")
    with pytest.raises(InvalidInput, match="HH:MM-HH:MM=QUOTA"):
        parse_slot("morning=3000")
    assert parse_slot("20:00-24:00=5").end == "24:00"
    assert slot_at(slots, time(10, 59)) == slots[0]
    assert slot_at(slots, time(11, 0)) is None  # [from, to)
    assert next_slot(slots, time(11, 0)) == slots[1]
    assert next_slot(slots, time(15, 0)) is None


def test_status_is_near_from_90_percent_and_full_at_the_limit():
    assert status_of(539, 600) == "open"
    assert status_of(540, 600) == "near"
    assert status_of(600, 600) == "full"
    assert status_of(10**6, None) == "open"
    assert status_of(0, 0) == "full"


def count(**kw):
    base = dict(occupancy=0, entries=0, exits=0, n_in=0, n_out=0, limit=None, slots=[],
                slot=None, slot_entries=0)  # fmt: skip
    return apply_count(**(base | kw))


def test_entries_past_the_limit_are_refused_whole_with_the_room_left():
    assert count(occupancy=595, entries=595, n_in=5, limit=600).occupancy == 600
    with pytest.raises(AtCapacity) as refused:
        count(occupancy=598, n_in=5, limit=600)
    assert refused.value.details["room"] == 2 and refused.value.code == "at_capacity"
    assert count(occupancy=600, n_out=1, n_in=1, limit=600).occupancy == 600  # out before in
    assert count(occupancy=600, n_in=5, limit=600, override=True).occupancy == 605


def test_slot_quotas_and_no_slot_open():
    slot = Slot("08:00", "11:00", 3000)
    done = count(n_in=10, slots=[slot], slot=slot, slot_entries=2990)
    assert done.slot_entries == 3000
    with pytest.raises(AtCapacity, match="08:00-11:00"):
        count(n_in=1, slots=[slot], slot=slot, slot_entries=3000)
    with pytest.raises(AtCapacity, match="no entry slot"):
        count(n_in=1, slots=[slot], slot=None)
    assert count(occupancy=3, n_out=1, slots=[slot], slot=None).occupancy == 2  # exits any time


def test_exits_never_take_the_count_below_zero_and_a_count_counts_someone():
    with pytest.raises(InvalidInput, match="only 0 people inside"):
        count(n_out=1)
    with pytest.raises(InvalidInput, match='"in" or "out"'):
        count()
    with pytest.raises(InvalidInput, match="at most"):
        count(n_in=10_001)


@given(
    st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7)), max_size=60),
    st.integers(0, 40),
)
def test_any_run_of_counts_stays_within_zero_and_the_limit(counts, limit):
    inside = entries = exits = 0
    for n_in, n_out in counts:
        try:
            got = count(occupancy=inside, entries=entries, exits=exits, n_in=n_in, n_out=n_out,
                        limit=limit)  # fmt: skip
        except (AtCapacity, InvalidInput):
            continue
        inside, entries, exits = got.occupancy, got.entries, got.exits
        assert 0 <= inside <= limit and inside == entries - exits


def test_a_checkpoint_is_unstaffed_off_unattended_or_ok():
    noon = time(12, 0)
    assert checkpoint_state(posted=0, shift=None, local=noon, last_count_minute=None) == "unstaffed"
    assert (
        checkpoint_state(posted=1, shift=("13:00", "17:00"), local=noon, last_count_minute=None)
        == "off"
    )
    assert (
        checkpoint_state(posted=1, shift=("11:50", "17:00"), local=noon, last_count_minute=None)
        == "ok"
    )
    assert (
        checkpoint_state(posted=1, shift=("08:00", "17:00"), local=noon, last_count_minute=None)
        == "unattended"
    )
    assert (
        checkpoint_state(posted=1, shift=("08:00", "17:00"), local=noon, last_count_minute=7 * 60)
        == "unattended"
    )
    assert (
        checkpoint_state(posted=1, shift=("08:00", "17:00"), local=noon, last_count_minute=9 * 60)
        == "ok"
    )
