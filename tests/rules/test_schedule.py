"""Every status change of the "3+N" rhythm through a day, table-driven: edges, late, duplicates, midnight, DST."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmgr.rules.schedule import (
    Rhythm,
    cell_status,
    cells_by_rhythm,
    day_bounds,
    logs_by_cell_then_time,
    windows,
)

SH = ZoneInfo("Asia/Shanghai")
DEFAULT = Rhythm()


def t(text: str, tz: ZoneInfo = SH) -> float:
    """Epoch seconds of a local 'YYYY-MM-DD HH:MM' in tz."""
    return datetime.fromisoformat(text).replace(tzinfo=tz).timestamp()


def one(rhythm, logs, at, tz=SH, **want):
    got = cell_status(
        [rhythm], np.zeros(len(logs), np.int64), np.array([t(x, tz) for x in logs]), t(at, tz), tz
    )
    for key, value in want.items():
        actual = getattr(got, key)[0]
        assert actual == value, f"{key}: {actual!r} != {value!r} (logs {logs}, at {at})"
    return got


DAY = "2026-11-24"
CASES = [
    # (id, rhythm, logs, at, expected fields)
    ("before the first window", DEFAULT, [], f"{DAY} 07:29", {"status": "ok", "missed": 0}),
    ("window opens (inclusive)", DEFAULT, [], f"{DAY} 07:30", {"status": "due"}),
    ("window's last minute", DEFAULT, [], f"{DAY} 09:30", {"status": "due"}),
    ("window closed undone", DEFAULT, [], f"{DAY} 09:31", {"status": "overdue", "missed": 1}),
    (
        "log on the opening edge",
        DEFAULT,
        [f"{DAY} 07:30"],
        f"{DAY} 10:00",
        {"status": "ok", "done": 1},
    ),
    (
        "log on the closing edge",
        DEFAULT,
        [f"{DAY} 09:30"],
        f"{DAY} 10:00",
        {"status": "ok", "done": 1},
    ),
    (
        "log a minute early is no round",
        DEFAULT,
        [f"{DAY} 07:29"],
        f"{DAY} 10:00",
        {"status": "overdue", "done": 0},
    ),
    (
        "late log makes up",
        DEFAULT,
        [f"{DAY} 09:45"],
        f"{DAY} 10:00",
        {"status": "ok", "done": 0, "late": 1, "missed": 0},
    ),
    (
        "logged later than the moment",
        DEFAULT,
        [f"{DAY} 08:10"],
        f"{DAY} 08:05",
        {"status": "due", "done": 0},
    ),
    (
        "two logs in one window count once",
        DEFAULT,
        [f"{DAY} 08:05", f"{DAY} 08:10"],
        f"{DAY} 12:30",
        {"status": "due", "done": 1, "extra_done": 0},
    ),
    (
        "all three done",
        DEFAULT,
        [f"{DAY} 08:00", f"{DAY} 12:00", f"{DAY} 18:00"],
        f"{DAY} 23:59",
        {"status": "ok", "done": 3, "expected": 3, "missed": 0},
    ),
    (
        "12:00 missed, 18:00 done",
        DEFAULT,
        [f"{DAY} 08:00", f"{DAY} 18:00"],
        f"{DAY} 20:00",
        {"status": "overdue", "done": 2, "missed": 1},
    ),
    ("overdue ends with the day", DEFAULT, [], "2026-11-25 07:00", {"status": "ok", "missed": 0}),
    (
        "3+2: extras short",
        Rhythm(extra=2),
        [f"{DAY} 08:10", f"{DAY} 12:10", f"{DAY} 14:00", f"{DAY} 14:10"],
        f"{DAY} 16:00",
        {"status": "due", "extra_done": 1, "extra_short": 1},
    ),
    (
        "3+2: extras done",
        Rhythm(extra=2),
        [f"{DAY} 08:10", f"{DAY} 12:10", f"{DAY} 14:00", f"{DAY} 15:00"],
        f"{DAY} 16:00",
        {"status": "ok", "extra_done": 2, "extra_short": 0, "expected": 5},
    ),
    (
        "3+1: extra short at day's end is missed",
        Rhythm(extra=1),
        [f"{DAY} 08:10", f"{DAY} 12:10", f"{DAY} 18:10"],
        "2026-11-25 00:00",
        {"status": "due"},
    ),
    (
        "overlapping windows each take a log",
        Rhythm(times=("08:00", "09:00")),
        [f"{DAY} 08:10", f"{DAY} 08:50"],
        f"{DAY} 11:00",
        {"status": "ok", "done": 2},
    ),
    # midnight: a round at 00:00 opens at 23:30 the evening before
    (
        "midnight round open the evening before",
        Rhythm(times=("00:00",)),
        ["2026-11-23 00:10"],
        "2026-11-23 23:40",
        {"status": "due", "done": 1},
    ),
    (
        "midnight round done the evening before",
        Rhythm(times=("00:00",)),
        ["2026-11-23 23:45"],
        f"{DAY} 01:00",
        {"status": "ok", "done": 1},
    ),
    (
        "midnight round missed",
        Rhythm(times=("00:00",)),
        [],
        f"{DAY} 01:31",
        {"status": "overdue", "missed": 1},
    ),
    # a round at 23:30 whose window runs into the next day
    (
        "late-evening round still open after midnight",
        Rhythm(times=("23:30",)),
        [],
        "2026-11-25 00:30",
        {"status": "due"},
    ),
    (
        "late-evening round closes after midnight",
        Rhythm(times=("23:30",)),
        [],
        "2026-11-25 01:01",
        {"status": "overdue"},
    ),
    (
        "late-evening round done after midnight",
        Rhythm(times=("23:30",)),
        ["2026-11-25 00:40"],
        "2026-11-25 02:00",
        {"status": "ok"},
    ),
    (
        "custom window",
        Rhythm(times=("08:00",), before_min=10, after_min=20),
        [f"{DAY} 08:25"],
        f"{DAY} 09:00",
        {"status": "ok", "done": 0, "late": 1},
    ),
]


@pytest.mark.parametrize(
    ("rhythm", "logs", "at", "want"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_status_through_a_day(rhythm, logs, at, want):
    one(rhythm, logs, at, **want)


def test_unscheduled_cells_and_many_cells_at_once():
    rhythms = [DEFAULT, None, Rhythm(extra=1), DEFAULT]
    cells = np.array([0, 0, 2, 3, 3])
    times = np.array(
        [
            t(f"{DAY} 08:10"),
            t(f"{DAY} 12:10"),
            t(f"{DAY} 08:20"),
            t(f"{DAY} 09:31"),
            t(f"{DAY} 12:00"),
        ]
    )
    got = cell_status(rhythms, cells, times, t(f"{DAY} 12:30"), SH)
    assert list(got.status) == ["ok", "unscheduled", "due", "ok"]
    assert list(got.late) == [0, 0, 0, 1]
    assert got.next_round[0] == t(f"{DAY} 18:00")
    assert got.last_round[3] == t(f"{DAY} 12:00")
    assert np.isnan(got.last_round[1])


def test_another_zone():
    berlin = ZoneInfo("Europe/Berlin")
    win = windows(DEFAULT, date(2026, 11, 24), berlin)
    assert datetime.fromtimestamp(win[0, 0], ZoneInfo("UTC")).hour == 7  # 08:00 CET is 07:00 UTC
    one(DEFAULT, ["2026-11-24 08:10"], "2026-11-24 10:00", berlin, status="ok")
    # the same instant is 15:10 in Shanghai: there it is no morning round
    instant = datetime(2026, 11, 24, 8, 10, tzinfo=berlin).timestamp()
    got = cell_status(
        [DEFAULT], np.zeros(1, np.int64), np.array([instant]), t("2026-11-24 16:00"), SH
    )
    assert got.status[0] == "overdue" and got.done[0] == 0
    one(DEFAULT, [], "2026-11-24 09:31", berlin, status="overdue")


def test_daylight_saving_days():
    ny = ZoneInfo("America/New_York")
    start, end = day_bounds(date(2026, 3, 8), ny)
    assert end - start == 23 * 3600  # spring forward
    start, end = day_bounds(date(2026, 11, 1), ny)
    assert end - start == 25 * 3600  # fall back
    # spring forward: 08:00 EDT is 12:00 UTC, and its window works as on any day
    win = windows(DEFAULT, date(2026, 3, 8), ny)
    assert datetime.fromtimestamp(win[0, 0], ZoneInfo("UTC")).hour == 12
    one(DEFAULT, ["2026-03-08 08:10"], "2026-03-08 10:00", ny, status="ok", done=1)
    one(DEFAULT, [], "2026-03-08 09:31", ny, status="overdue")
    # a round at 02:30, an hour that does not exist that night, falls at 03:30 EDT (read with the
    # offset before the change), so its window runs to 05:00
    gone = Rhythm(times=("02:30",))
    assert datetime.fromtimestamp(windows(gone, date(2026, 3, 8), ny)[0, 0], ny).hour == 3
    one(gone, [], "2026-03-08 05:00", ny, status="due")
    one(gone, [], "2026-03-08 05:01", ny, status="overdue", missed=1)
    # fall back: 01:30 happens twice; the round is the first one, and the day still has all three rounds
    twice = Rhythm(times=("01:30", "08:00", "12:00"))
    got = one(twice, ["2026-11-01 01:40"], "2026-11-01 13:00", ny, done=1, missed=1, expected=3)
    assert got.status[0] == "overdue"
    one(
        DEFAULT,
        ["2026-11-01 08:10", "2026-11-01 12:10", "2026-11-01 18:10"],
        "2026-11-01 23:00",
        ny,
        status="ok",
        done=3,
    )


def test_summary_of_a_past_day():
    logs = [f"{DAY} 08:10", f"{DAY} 09:50", f"{DAY} 18:05", f"{DAY} 20:00"]
    got = cell_status(
        [Rhythm(extra=2)], np.zeros(4, np.int64), np.array([t(x) for x in logs]), t("2026-11-26 10:00"), SH,
        day=date(2026, 11, 24),
    )  # fmt: skip
    # 08:00 and 18:00 on time; 20:00 makes up the missed 12:00 (late); 09:50 is an extra
    assert (got.expected[0], got.done[0], got.late[0], got.extra_done[0]) == (5, 2, 1, 1)
    assert got.missed[0] == 1  # the day is over with one extra round short
    short = cell_status(
        [Rhythm(extra=3)], np.zeros(4, np.int64), np.array([t(x) for x in logs]), t("2026-11-26 10:00"), SH,
        day=date(2026, 11, 24),
    )  # fmt: skip
    assert short.missed[0] == 2


SET_AT_1400 = Rhythm(since=t(f"{DAY} 14:00"))
LATE_EVENING = Rhythm(times=("22:40",))


@pytest.mark.parametrize(
    ("rhythm", "logs", "at", "want"),
    [
        # a schedule set at 14:00: that morning's rounds were nobody's due
        (SET_AT_1400, [], f"{DAY} 14:30", {"status": "ok", "missed": 0, "expected": 1}),
        (SET_AT_1400, [], f"{DAY} 18:00", {"status": "due", "expected": 1}),
        (SET_AT_1400, [], f"{DAY} 19:31", {"status": "overdue", "missed": 1}),
        (SET_AT_1400, [], "2026-11-25 08:30", {"status": "due", "expected": 3}),
        # a 22:40 round's window runs to 00:10: missed yesterday, it is overdue today ...
        (LATE_EVENING, [], f"{DAY} 22:45", {"status": "overdue"}),
        # ... but not when the schedule was set today: only today's 22:40 is due, its window still open
        (Rhythm(times=("22:40",), since=t(f"{DAY} 22:44")), [], f"{DAY} 22:45", {"status": "due"}),
        (
            Rhythm(times=("22:40",), since=t("2026-11-25 00:11")),
            [],
            "2026-11-25 00:12",
            {"status": "ok", "expected": 1},
        ),
        (Rhythm(times=("22:40",), since=t(f"{DAY} 22:40")), [], f"{DAY} 22:45", {"status": "due"}),
        (
            Rhythm(times=("22:40",), since=t(f"{DAY} 22:40")),
            [f"{DAY} 22:50"],
            f"{DAY} 23:59",
            {"status": "ok", "done": 1},
        ),
    ],
    ids=[
        "14:30",
        "18:00",
        "19:31",
        "next-day",
        "spill-over",
        "set-after",
        "set-after-close",
        "set-at",
        "done",
    ],
)
def test_rounds_before_a_schedule_was_set_are_not_expected(rhythm, logs, at, want):
    one(rhythm, logs, at, **want)


@settings(max_examples=150, deadline=None)
@given(
    times=st.lists(
        st.tuples(st.integers(0, 23), st.integers(0, 59)), min_size=1, max_size=4, unique=True
    ),
    before=st.integers(0, 720),
    after=st.integers(1, 720),
    extra=st.integers(0, 3),
    logs=st.lists(st.floats(0, 3 * 86400 - 1), max_size=25),
    at=st.floats(2 * 86400, 3 * 86400 - 1),
    zone=st.sampled_from(["Asia/Shanghai", "America/New_York", "Europe/Berlin"]),
)
def test_rounds_before_yesterday_change_nothing_but_the_last_round(
    times, before, after, extra, logs, at, zone
):
    """Windows are at most 12 hours either side of their time, so a day's statuses need the rounds
    from the start of the day before (what a roll-up or a tile reads, `days_back=1`); rounds two
    days back change only `last_round`."""
    tz = ZoneInfo(zone)
    start = day_bounds(date(2026, 3, 6), tz)[0]  # three days around Europe's and America's DST
    moment = start + at
    day = datetime.fromtimestamp(moment, tz).date()
    from_yesterday = day_bounds(date.fromordinal(day.toordinal() - 1), tz)[0]
    rhythm = Rhythm(tuple(f"{h:02d}:{m:02d}" for h, m in sorted(times)), extra, before, after)
    t_all = np.sort(np.asarray([start + x for x in logs if start + x <= moment], float))
    t_cut = t_all[t_all >= from_yesterday]
    whole = cell_status([rhythm], np.zeros(len(t_all), int), t_all, moment, tz)
    cut = cell_status([rhythm], np.zeros(len(t_cut), int), t_cut, moment, tz)
    for name in ("status", "expected", "done", "late", "missed", "extra_done", "extra_short"):
        assert list(getattr(whole, name)) == list(getattr(cut, name)), name
    np.testing.assert_array_equal(whole.next_round, cut.next_round)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 60), st.integers(1_700_000_000, 1_700_400_000)), max_size=80),
    st.booleans(),
)
def test_logs_are_orderedlogs_by_cell_then_time(logs, fractional):
    """The order cell_status reads logs in (one integer key for whole seconds, a two-key sort
    otherwise) is by cell, then time, and loses or repeats none."""
    cells = np.asarray([c for c, _ in logs], np.int64)
    times = np.asarray([t for _, t in logs], np.float64) + (0.25 if fractional else 0.0)
    order = logs_by_cell_then_time(cells, times)
    assert sorted(order.tolist()) == list(range(len(logs)))
    pairs = list(zip(cells[order].tolist(), times[order].tolist(), strict=True))
    assert pairs == sorted(pairs)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([0, 1, 2, 3]), max_size=60))
def test_cells_are_grouped_by_equal_rhythms_whatever_the_objects(picks):
    """Equal rhythms in distinct objects form one group; cells without a schedule none."""
    kinds = [None, Rhythm(("08:00",), 1), Rhythm(("09:00",), 2)]
    rhythms = [Rhythm(("08:00",), 1) if k == 3 else kinds[k] for k in picks]  # 3: equal to 1
    groups = cells_by_rhythm(rhythms)
    expected: dict[Rhythm, list[int]] = {}
    for k, r in enumerate(rhythms):
        if r is not None:
            expected.setdefault(r, []).append(k)
    assert groups == expected
