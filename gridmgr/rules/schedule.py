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


@dataclass
class CellStatus:
    """Per-cell results for one moment, arrays aligned with the cells given."""

    status: npt.NDArray[np.object_]  # "ok" | "due" | "overdue" | "unscheduled"
    expected: npt.NDArray[np.int64]  # fixed rounds of the day + extra
    done: npt.NDArray[np.int64]  # fixed rounds of the day done in their window
    late: npt.NDArray[np.int64]  # fixed rounds of the day made up after their window
    # fixed rounds whose window closed undone (+ extras short once the day is over)
    missed: npt.NDArray[np.int64]
    extra_done: npt.NDArray[np.int64]
    extra_short: npt.NDArray[np.int64]  # extra rounds still to do today
    last_round: npt.NDArray[
        np.float64
    ]  # epoch seconds of the latest log up to the moment, NaN if none
    next_round: npt.NDArray[
        np.float64
    ]  # epoch seconds of the next fixed round not yet done, NaN if none today


def cell_status(
    rhythms: list[Rhythm | None],
    log_cell: npt.NDArray[np.integer],
    log_t: npt.NDArray[np.floating],
    at: float,
    tz: ZoneInfo,
    *,
    day: date | None = None,
) -> CellStatus:
    """Status of every cell at epoch second `at`, from its rhythm and its logged rounds.

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
    keep = log_t <= at
    log_cell, log_t = np.asarray(log_cell)[keep], np.asarray(log_t, dtype=float)[keep]
    order = np.lexsort((log_t, log_cell))
    log_cell, log_t = log_cell[order], log_t[order]

    out = CellStatus(
        status=np.full(n, "unscheduled", dtype=object),
        expected=np.zeros(n, np.int64),
        done=np.zeros(n, np.int64),
        late=np.zeros(n, np.int64),
        missed=np.zeros(n, np.int64),
        extra_done=np.zeros(n, np.int64),
        extra_short=np.zeros(n, np.int64),
        last_round=np.full(n, np.nan),
        next_round=np.full(n, np.nan),
    )
    if len(log_cell):
        last_idx = np.r_[np.flatnonzero(log_cell[1:] != log_cell[:-1]), len(log_cell) - 1]
        out.last_round[log_cell[last_idx]] = log_t[last_idx]

    groups: dict[Rhythm, list[int]] = {}
    for k, r in enumerate(rhythms):
        if r is not None:
            groups.setdefault(r, []).append(k)
    for rhythm, members in groups.items():
        _evaluate(rhythm, np.asarray(members), log_cell, log_t, at, day, d0, d1, day_over, tz, out)
    return out


def _first_per_cell(
    lc: npt.NDArray[np.integer], cand: npt.NDArray[np.intp]
) -> npt.NDArray[np.intp]:
    """Of log indices in increasing order (logs sorted by cell, then time), each cell's first."""
    if len(cand) < 2:
        return cand
    c = lc[cand]
    return cand[np.r_[True, c[1:] != c[:-1]]]


def _evaluate(
    rhythm: Rhythm,
    members: npt.NDArray[np.intp],
    log_cell: npt.NDArray[np.integer],
    log_t: npt.NDArray[np.floating],
    at: float,
    day: date,
    d0: float,
    d1: float,
    day_over: bool,
    tz: ZoneInfo,
    out: CellStatus,
) -> None:
    """One rhythm for all its cells: windows from yesterday to tomorrow that touch today."""
    win = np.concatenate([windows(rhythm, day + timedelta(days=k), tz) for k in (-1, 0, 1)])
    today = (win[:, 2] >= d0) & (win[:, 1] < d1)
    win = win[today]
    if rhythm.since is not None:  # windows closed before the schedule existed are nobody's due
        win = win[win[:, 2] >= rhythm.since]
    of_today = (win[:, 0] >= d0) & (win[:, 0] < d1)  # scheduled on this day: counted in its summary
    k = len(win)
    m = len(members)
    # this rhythm's logs, re-indexed 0..m-1 by member position
    pos = np.full(out.status.shape[0], -1, np.int64)
    pos[members] = np.arange(m)
    mine = pos[log_cell] >= 0 if len(log_cell) else np.zeros(0, bool)
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
    # extras: the rest of today's logs, once per half hour
    rest = ~used & (lt >= d0) & (lt < d1)
    slot = np.floor(lt[rest] / EXTRA_SLOT_S).astype(np.int64)
    day_slots = int(np.ceil((d1 - d0) / EXTRA_SLOT_S)) + 2
    keys = lc[rest] * day_slots + (slot - int(d0 // EXTRA_SLOT_S))  # sorted: logs are by cell, time
    keys = keys[np.r_[True, keys[1:] != keys[:-1]]] if len(keys) else keys
    extra_done = np.bincount(keys // day_slots, minlength=m).astype(np.int64)
    extra_short = np.maximum(rhythm.extra - extra_done, 0)

    open_now = (win[:, 1] <= at) & (at <= win[:, 2])
    closed = win[:, 2] < at
    settled = done | late
    overdue = (~settled & closed[None, :]).any(axis=1)
    due = (~settled & open_now[None, :]).any(axis=1) | (extra_short > 0)
    status = np.where(overdue, "overdue", np.where(due, "due", "ok"))

    today_cols = np.flatnonzero(of_today)
    out.status[members] = status
    out.expected[members] = len(today_cols) + rhythm.extra
    out.done[members] = done[:, today_cols].sum(axis=1)
    out.late[members] = late[:, today_cols].sum(axis=1)
    out.missed[members] = (~settled[:, today_cols] & closed[today_cols][None, :]).sum(axis=1) + (
        extra_short if day_over else 0
    )
    out.extra_done[members] = np.minimum(extra_done, rhythm.extra)
    out.extra_short[members] = extra_short
    pending = ~settled & (win[:, 2] >= at)[None, :] & of_today[None, :]
    nxt = np.where(pending, win[None, :, 0], np.inf).min(axis=1, initial=np.inf)
    out.next_round[members] = np.where(np.isfinite(nxt), nxt, np.nan)
