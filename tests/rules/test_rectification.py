"""Rectification rules: the moves a finding may make, when it is overdue, and the figures reported upward."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridmgr.errors import Conflict, InvalidInput
from gridmgr.rules.rectification import (
    MOVES,
    NONE_FOUND,
    STATUSES,
    check_extension,
    figures,
    next_status,
    overdue_mask,
    rate_of,
)

NAN = float("nan")


def ledger(rows: list[tuple[str, str, str | None, float]], at_s: float = 100.0):
    status, mode, closed_as, ends = zip(*rows, strict=True) if rows else ((), (), (), ())
    return figures(np.array(status, object), np.array(mode, object), np.array(closed_as, object),
                   np.array(ends, float), at_s)  # fmt: skip


def test_harbin_44_found_39_on_the_spot_5_with_deadlines():
    rows = [("closed", "on_spot", "rectified", NAN)] * 39 + [("open", "deadline", None, 1e9)] * 5
    f = ledger(rows)
    assert (f.found, f.fixed_on_spot, f.with_deadline, f.rectified, f.open) == (44, 39, 5, 39, 5)
    assert f.rate == 0.886
    # the five fixed, then closed by a manager: all rectified
    done = ledger(rows[:39] + [("closed", "deadline", "rectified", 1e9)] * 5)
    assert (done.rectified, done.open, done.rate) == (44, 0, 1.0)


def test_yichun_158_found_145_rectified():
    rows = [("closed", "deadline", "rectified", 1e9)] * 145 + [
        ("fixed", "deadline", None, 1e9)
    ] * 13
    f = ledger(rows)
    assert (f.found, f.rectified, f.fixed, f.rate) == (158, 145, 13, 0.918)


def test_recorded_in_error_counts_nowhere_and_reopened_is_not_rectified():
    f = ledger(
        [
            ("closed", "deadline", "error", 1e9),
            ("open", "on_spot", None, NAN),  # fixed on the spot, then reopened
            ("closed", "on_spot", "rectified", NAN),
        ]
    )
    assert (f.found, f.fixed_on_spot, f.rectified, f.open, f.rate) == (2, 2, 1, 1, 0.5)


def test_overdue_after_the_end_of_the_deadline_day_while_open():
    status = np.array(["open", "open", "fixed", "open"], object)
    ends = np.array([100.0, 200.0, 100.0, NAN])
    assert overdue_mask(status, ends, 150.0).tolist() == [True, False, False, False]
    assert overdue_mask(status, ends, 99.0).tolist() == [False, False, False, False]
    assert ledger([("open", "deadline", None, 100.0)], at_s=100.0).overdue == 1


def test_moves_follow_the_states():
    assert next_status("fix", "open") == "fixed"
    assert next_status("close", "fixed") == "closed"
    assert next_status("reopen", "closed") == "open"
    assert next_status("extend", "open") == "open"
    with pytest.raises(Conflict, match="closed cannot be fixed"):
        next_status("fix", "closed")
    with pytest.raises(InvalidInput, match="unknown action"):
        next_status("delete", "open")
    # every state can be left and reached again: nothing is a dead end
    assert {a for a, _ in MOVES} >= {"fix", "close", "reopen"}
    assert {before for _, before in MOVES} == set(STATUSES)


def test_an_extension_moves_the_deadline_later_only():
    check_extension(date(2026, 12, 1), date(2026, 12, 5))
    with pytest.raises(InvalidInput, match="must be after"):
        check_extension(date(2026, 12, 5), date(2026, 12, 5))
    with pytest.raises(Conflict, match="no deadline"):
        check_extension(None, date(2026, 12, 5))


ROWS = st.lists(
    st.tuples(
        st.sampled_from(STATUSES),
        st.sampled_from(("on_spot", "deadline")),
        st.sampled_from((None, "rectified", "error")),
        st.sampled_from((NAN, 50.0, 150.0)),
    ),
    max_size=40,
)


@given(ROWS, ROWS)
def test_figures_add_up_over_parts(a, b):
    whole, left, right = ledger(a + b), ledger(a), ledger(b)
    assert left + right == whole
    assert NONE_FOUND + whole == whole
    assert whole.rectified <= whole.found
    assert whole.fixed_on_spot + whole.with_deadline == whole.found
    assert whole.rate == rate_of(whole.rectified, whole.found)
    assert whole.overdue <= whole.open


def test_text_fields_are_stripped_and_refuse_control_characters_and_length():
    from gridmgr.rules.rectification import checked_text

    assert checked_text("  口罩  \n", "text", max_len=10) == "口罩"
    assert checked_text("a\nb\tc", "text", max_len=10) == "a\nb\tc"
    assert checked_text("", "note", max_len=10, required=False) is None
    for bad, said in [("a\x00b", "U+0000"), ("a\x7fb", "U+007F"), ("x" * 11, "at most 10")]:
        with pytest.raises(InvalidInput, match=re.escape(said)):
            checked_text(bad, "text", max_len=10)
    with pytest.raises(InvalidInput, match="U\\+000A"):
        checked_text("a\nb", "unit", max_len=10, multiline=False)
    with pytest.raises(InvalidInput, match="must be text"):
        checked_text(5, "text", max_len=10)


def test_on_the_spot_or_a_deadline_with_unit_and_person():
    from gridmgr.rules.rectification import check_plan

    day = date(2026, 11, 24)
    check_plan(fixed_now=True, deadline=None, unit=None, person=None, found=day)
    check_plan(fixed_now=False, deadline=day, unit="u", person="p", found=day)
    with pytest.raises(InvalidInput, match="missing: unit"):
        check_plan(fixed_now=False, deadline=day, unit=None, person="p", found=day)
    with pytest.raises(InvalidInput, match="has no deadline"):
        check_plan(fixed_now=True, deadline=day, unit=None, person=None, found=day)
    with pytest.raises(InvalidInput, match="before the day"):
        check_plan(fixed_now=False, deadline=date(2026, 11, 23), unit="u", person="p", found=day)


def test_a_deadline_day_ends_at_local_midnight_also_across_daylight_saving():
    from zoneinfo import ZoneInfo

    from gridmgr.rules.rectification import deadline_end_s, deadline_ends

    shanghai = deadline_end_s(date(2026, 11, 24), ZoneInfo("Asia/Shanghai"))
    assert shanghai == int(datetime(2026, 11, 24, 16, tzinfo=UTC).timestamp())
    # New York leaves daylight saving on 2026-11-01: that day has 25 hours
    ny = ZoneInfo("America/New_York")
    assert (
        deadline_end_s(date(2026, 11, 1), ny) - deadline_end_s(date(2026, 10, 31), ny) == 25 * 3600
    )
    ends = deadline_ends(
        np.array(["2026-11-24", None, "2026-11-24"], object), ZoneInfo("Asia/Shanghai")
    )
    assert ends[0] == ends[2] == shanghai and np.isnan(ends[1])
