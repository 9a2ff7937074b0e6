"""The "3+N" rhythm: fixed daily rounds with windows, extra rounds, and each cell's status at a moment.

Rules, in the area's time zone:
- A fixed round (e.g. 08:00) has a window from `before` minutes before to `after` minutes after it. It is
  done when a round is logged inside the window; due while the window is open and it is not done;
  overdue once the window has closed undone, until the end of the local day the window closed in.
- A log after a window closed, inside no other window, makes up for the earliest overdue round: that
  round counts as late (no longer overdue).
- One log satisfies one window; two logs in one window count once (the second is not an extra).
- Extra rounds are logs of the local day outside every fixed window and not making up for one; they
  count once per half hour; while fewer than N are done the cell is due (they are due by the day's end).
- A scheduled cell's status is the worst that applies: overdue, then due, then ok.
- A round whose window had closed before the schedule was set (`since`) is not expected at all.
Times are epoch seconds (UTC) in numpy arrays, so a whole plan is evaluated at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

EXTRA_SLOT_S = 1800  # extra rounds count once per half hour
STATUSES = ("ok", "due", "overdue")


@dataclass(frozen=True)
class Rhythm:
    """A cell's schedule: fixed round times (HH:MM, local), extra rounds a day, and the window around each."""

    times: tuple[str, ...] = ("08:00", "12:00", "18:00")
    extra: int = 0
    before_min: int = 30
    after_min: int = 90
    # epoch seconds the schedule was set: a round whose window had closed by then is not expected
    since: float | None = None


def day_bounds(day: date, tz: ZoneInfo) -> tuple[float, float]:
    """Epoch seconds of the local day's first instant and of the next day's (23 or 25 hours apart at DST)."""
    start = datetime.combine(day, time(0), tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tz)
    return start.timestamp(), end.timestamp()


def windows(rhythm: Rhythm, day: date, tz: ZoneInfo) -> npt.NDArray[np.float64]:
    """The day's fixed rounds as (k, 3) epoch seconds: scheduled time, window open, window close."""
    rows = []
    for hhmm in rhythm.times:
        h, m = (int(x) for x in hhmm.split(":"))
        # a local time that does not exist (spring forward) is read with the offset before the change
        at = datetime.combine(day, time(h, m), tz).timestamp()
        rows.append((at, at - 60 * rhythm.before_min, at + 60 * rhythm.after_min))
    return np.array(sorted(rows), dtype=float).reshape(-1, 3)


ROUND_STATES = ("done", "late", "due", "overdue", "upcoming", "not_expected")
DONE, LATE, DUE, OVERDUE, UPCOMING, NOT_EXPECTED = range(len(ROUND_STATES))


@dataclass(frozen=True)
class FixedRounds:
    """Every fixed round whose window touches the day, one row per cell and round, with its state.

    A row's state is an index into ROUND_STATES: done (logged inside its window), late (made up by a
    later log), due (window open, undone), overdue (window closed undone), upcoming (window not yet
    open), not_expected (its window had closed before the schedule was set). Rows of one cell are
    contiguous and in time order, cells in index order. Rows not `of_day` are the day before's or
    after's rounds whose windows reach into the day: they count for a cell's status, not its summary.
    """

    cell: npt.NDArray[np.int64]  # the cell's index
    at: npt.NDArray[np.float64]  # epoch seconds the round is scheduled
    opens: npt.NDArray[np.float64]
    closes: npt.NDArray[np.float64]
    state: npt.NDArray[np.int8]
    of_day: npt.NDArray[np.bool_]  # scheduled on the day summarised

    def of_cell(self, k: int) -> npt.NDArray[np.intp]:
        """The row numbers of cell `k`'s rounds, in time order."""
        lo, hi = np.searchsorted(self.cell, [k, k + 1])
        return np.arange(lo, hi)


@dataclass
class CellStatus:
    """Per-cell results for one moment, arrays aligned with the cells given, and the rounds they count."""

    status: npt.NDArray[np.object_]  # "ok" | "due" | "overdue" | "unscheduled"
    expected: npt.NDArray[np.int64]  # expected fixed rounds of the day + extra
    done: npt.NDArray[np.int64]  # fixed rounds of the day done in their window
    late: npt.NDArray[np.int64]  # fixed rounds of the day made up after their window
    # fixed rounds whose window closed undone (+ extras short once the day is over)
    missed: npt.NDArray[np.int64]
    extra_done: npt.NDArray[np.int64]
    extra_short: npt.NDArray[np.int64]  # extra rounds still to do today
    # epoch seconds of the latest log up to the moment, NaN if none
    last_round: npt.NDArray[np.float64]
    # epoch seconds of the next fixed round not yet done, NaN if none today
    next_round: npt.NDArray[np.float64]
    rounds: FixedRounds  # each fixed round's state: the counts above are read from it


def cell_status(
    rhythms: Sequence[Rhythm | None],
    log_cell: npt.ArrayLike,
    log_t: npt.ArrayLike,
    at: float,
    tz: ZoneInfo,
    *,
    day: date | None = None,
) -> CellStatus:
    """Status of every cell at epoch second `at`, from its rhythm and its logged rounds.

    Every fixed round is first given its state (`FixedRounds`); the status and the counts are then
    read from those states, so whoever shows rounds one by one and whoever counts them agree.

    Parameters
    ----------
    rhythms
        One per cell; None for a cell without a schedule.
    log_cell, log_t
        Logged rounds: the cell index and epoch second of each (any order; later ones are ignored).
    day
        Summarise this local day instead of the day of `at`: a past day is judged at its last instant,
        and its missing extra rounds count as missed.
    """
    n = len(rhythms)
    day = day or datetime.fromtimestamp(at, tz).date()
    d0, d1 = day_bounds(day, tz)
    day_over = at >= d1
    at = min(at, d1 - 1e-3)
    cells_in = np.asarray(log_cell, dtype=np.int64)
    times_in = np.asarray(log_t, dtype=np.float64)
    keep = times_in <= at
    cells_in, times_in = cells_in[keep], times_in[keep]
    order = logs_by_cell_then_time(cells_in, times_in)
    cells_in, times_in = cells_in[order], times_in[order]

    last_round = np.full(n, np.nan)
    if len(cells_in):
        last_idx = np.r_[np.flatnonzero(cells_in[1:] != cells_in[:-1]), len(cells_in) - 1]
        last_round[cells_in[last_idx]] = times_in[last_idx]

    groups = cells_by_rhythm(rhythms)
    extra = np.zeros(n, np.int64)
    extra_done = np.zeros(n, np.int64)
    parts = []
    for rhythm, members in groups.items():
        idx = np.asarray(members, np.int64)
        part, done_extra = _evaluate(rhythm, idx, n, cells_in, times_in, at, day, d0, d1, tz)
        parts.append(part)
        extra[idx] = rhythm.extra
        extra_done[idx] = done_extra
    rounds = _joined(parts)
    extra_short = np.maximum(extra - extra_done, 0)

    def per_cell(rows: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
        return np.bincount(rounds.cell[rows], minlength=n).astype(np.int64)

    state, of_day = rounds.state, rounds.of_day
    scheduled = np.array([r is not None for r in rhythms], dtype=bool)
    overdue = per_cell(state == OVERDUE) > 0
    due = (per_cell(state == DUE) > 0) | (extra_short > 0)
    status = np.where(overdue, "overdue", np.where(due, "due", "ok")).astype(object)
    status[~scheduled] = "unscheduled"
    pending = of_day & ((state == DUE) | (state == UPCOMING))  # rows are in time order per cell
    first_cells, first_rows = np.unique(rounds.cell[pending], return_index=True)
    next_round = np.full(n, np.nan)
    next_round[first_cells] = rounds.at[pending][first_rows]
    return CellStatus(
        status=status,
        expected=per_cell(of_day & (state != NOT_EXPECTED)) + extra,
        done=per_cell(of_day & (state == DONE)),
        late=per_cell(of_day & (state == LATE)),
        missed=per_cell(of_day & (state == OVERDUE)) + (extra_short if day_over else 0),
        extra_done=np.minimum(extra_done, extra),
        extra_short=extra_short,
        last_round=last_round,
        next_round=next_round,
        rounds=rounds,
    )


def logs_by_cell_then_time(
    cells: npt.NDArray[np.int64], times: npt.NDArray[np.float64]
) -> npt.NDArray[np.intp]:
    """The order of logs by cell, then time. Whole seconds (what the database stores) sort as one
    integer key, four times faster than a two-key sort of a city's 1.5 million rounds; equal keys
    are equal logs, so their order does not matter."""
    if len(times) == 0:
        return np.zeros(0, np.intp)
    t0, t1 = float(times.min()), float(times.max())
    span = t1 - t0 + 1
    whole = bool(np.all(times == np.floor(times)))
    if not whole or span * (int(cells.max()) + 1) >= 2**62 or int(cells.min()) < 0:
        return np.lexsort((times, cells))
    return np.argsort(cells * int(span) + (times - t0).astype(np.int64))


def cells_by_rhythm(rhythms: Sequence[Rhythm | None]) -> dict[Rhythm, list[int]]:
    """The cells (positions) of each rhythm. Cells mostly share a few Rhythm objects: grouped first
    by the object (no hashing of its fields per cell), then equal rhythms merged."""
    by_object: dict[int, tuple[Rhythm, list[int]]] = {}
    for k, r in enumerate(rhythms):
        if r is not None:
            found = by_object.get(id(r))
            if found is None:
                by_object[id(r)] = found = (r, [])
            found[1].append(k)
    groups: dict[Rhythm, list[int]] = {}
    for r, members in by_object.values():
        groups.setdefault(r, []).extend(members)
    for members in groups.values():
        members.sort()
    return groups


def _joined(parts: list[FixedRounds]) -> FixedRounds:
    """The rounds of every schedule's cells as one table, by cell (each cell's rows stay in order)."""
    if not parts:
        empty = np.zeros(0)
        return FixedRounds(
            np.zeros(0, np.int64), empty, empty, empty, np.zeros(0, np.int8), np.zeros(0, bool)
        )
    if len(parts) == 1:
        return parts[0]
    columns = [np.concatenate([getattr(p, f) for p in parts]) for f in FixedRounds.__annotations__]
    order = np.argsort(columns[0], kind="stable")
    return FixedRounds(*(c[order] for c in columns))


def _first_per_cell(lc: npt.NDArray[np.int64], cand: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
    """Of log indices in increasing order (logs sorted by cell, then time), each cell's first."""
    if len(cand) < 2:
        return cand
    c = lc[cand]
    return cand[np.r_[True, c[1:] != c[:-1]]]


def _evaluate(
    rhythm: Rhythm,
    members: npt.NDArray[np.int64],
    n: int,
    log_cell: npt.NDArray[np.int64],
    log_t: npt.NDArray[np.float64],
    at: float,
    day: date,
    d0: float,
    d1: float,
    tz: ZoneInfo,
) -> tuple[FixedRounds, npt.NDArray[np.int64]]:
    """One rhythm for all its cells: the state of each round whose window touches the day (from the day
    before to the day after), and each cell's extra rounds done."""
    win = np.concatenate([windows(rhythm, day + timedelta(days=k), tz) for k in (-1, 0, 1)])
    win = win[(win[:, 2] >= d0) & (win[:, 1] < d1)]
    # windows closed before the schedule existed are nobody's due: they take no log either
    expected = np.ones(len(win), bool) if rhythm.since is None else win[:, 2] >= rhythm.since
    all_win, win = win, win[expected]
    k = len(win)
    m = len(members)
    # this rhythm's logs, re-indexed 0..m-1 by member position
    pos = np.full(n, -1, np.int64)
    pos[members] = np.arange(m)
    mine = pos[log_cell] >= 0
    lc, lt = pos[log_cell[mine]], log_t[mine]
    lo = win[:, 1].min() if k else d0
    relevant = lt >= min(lo, d0)
    lc, lt = lc[relevant], lt[relevant]
    used = np.zeros(len(lc), bool)
    done = np.zeros((m, k), bool)
    late = np.zeros((m, k), bool)
    # on time: each window takes the first unused log inside it (windows in order of opening)
    for w in np.argsort(win[:, 1], kind="stable"):
        cand = _first_per_cell(lc, np.flatnonzero(~used & (lt >= win[w, 1]) & (lt <= win[w, 2])))
        done[lc[cand], w] = True
        used[cand] = True
    # further logs inside a window its cell already did are duplicates: spent, not extras
    for w in range(k):
        inside = ~used & (lt >= win[w, 1]) & (lt <= win[w, 2])
        used[inside] = done[lc[inside], w]
    # late: a log after a closed, undone window makes up for the earliest such window
    for w in np.argsort(win[:, 2], kind="stable"):
        cand = np.flatnonzero(~used & (lt > win[w, 2]))
        cand = _first_per_cell(lc, cand[~done[lc[cand], w]])
        late[lc[cand], w] = True
        used[cand] = True
    # extras: the rest of the day's logs, once per half hour
    rest = ~used & (lt >= d0) & (lt < d1)
    slot = np.floor(lt[rest] / EXTRA_SLOT_S).astype(np.int64)
    day_slots = int(np.ceil((d1 - d0) / EXTRA_SLOT_S)) + 2
    keys = lc[rest] * day_slots + (slot - int(d0 // EXTRA_SLOT_S))  # sorted: logs are by cell, time
    keys = keys[np.r_[True, keys[1:] != keys[:-1]]] if len(keys) else keys
    extra_done = np.bincount(keys // day_slots, minlength=m).astype(np.int64)

    # each round's state at the moment: settled, else by where its window stands
    closed = win[:, 2] < at
    open_now = (win[:, 1] <= at) & (at <= win[:, 2])
    waiting = np.where(closed, OVERDUE, np.where(open_now, DUE, UPCOMING))
    state = np.full((m, len(all_win)), NOT_EXPECTED, np.int8)
    state[:, expected] = np.where(done, DONE, np.where(late, LATE, waiting[None, :]))
    n_win = len(all_win)
    rounds = FixedRounds(
        cell=np.repeat(members, n_win),
        at=np.tile(all_win[:, 0], m),
        opens=np.tile(all_win[:, 1], m),
        closes=np.tile(all_win[:, 2], m),
        state=state.ravel(),
        of_day=np.tile((all_win[:, 0] >= d0) & (all_win[:, 0] < d1), m),
    )
    return rounds, extra_done
