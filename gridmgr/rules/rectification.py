"""Rectification rules (整改): a finding's states and the moves between them, when it is overdue, and the
figures reported upward (found, fixed on the spot, with a deadline, rectified, open, overdue, the rate).

A finding is fixed on the spot (立行立改: closed when recorded, counted as rectified at once) or given a
deadline with a responsible unit and person (限期整改). States: ``open`` → ``fixed`` (the responsible
reports it done) → ``closed`` (a manager verifies); ``reopen`` takes a fixed or closed finding back to
``open``; a manager may ``extend`` an open finding's deadline, to a later day, with a reason, and may close
an open finding at once (verified on site, or recorded in error). A finding closed as recorded in error
counts nowhere: it was not a problem. An open finding is overdue after the end of its deadline day on
the area's clock. The rate is rectified / found, rectified = fixed on the spot + closed (as rectified).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal, overload
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from gridmgr.errors import Conflict, InvalidInput, Phrase

STATUSES = ("open", "fixed", "closed")
MODES = ("on_spot", "deadline")
CLOSED_AS = ("rectified", "error")  # closed after verification, or closed as recorded in error
ACTIONS = ("fix", "close", "reopen", "extend")
RATE_DIGITS = 3

# (action, status before) -> status after
MOVES: dict[tuple[str, str], str] = {
    ("fix", "open"): "fixed",
    ("close", "open"): "closed",
    ("close", "fixed"): "closed",
    ("reopen", "fixed"): "open",
    ("reopen", "closed"): "open",
    ("extend", "open"): "open",
}


def next_status(action: str, status: str) -> str:
    """The status after `action` on a finding in `status`; a move the rules do not allow is a Conflict."""
    if action not in ACTIONS:
        raise InvalidInput.of(
            "unknown action {action!r}: use one of {actions}",
            action=action,
            actions=", ".join(ACTIONS),
        )
    after = MOVES.get((action, status))
    if after is None:
        raise Conflict.of(
            "a finding that is {status} cannot be {done}",
            status=Phrase(status),
            done=Phrase(PAST[action]),
        )
    return after


PAST = {"fix": "fixed", "close": "closed", "reopen": "reopened", "extend": "extended"}


def check_extension(old: date | None, new: date) -> None:
    """A deadline may only move later (an extension), and only a finding with a deadline has one."""
    if old is None:
        raise Conflict.of("a finding fixed on the spot has no deadline to extend")
    if new <= old:
        raise InvalidInput.of(
            "the new deadline {new} must be after the current one, {old}",
            new=new.isoformat(),
            old=old.isoformat(),
        )


@dataclass(frozen=True)
class Figures:
    """The ledger's figures for a set of findings at a moment."""

    found: int
    fixed_on_spot: int
    with_deadline: int
    rectified: int
    open: int
    fixed: int  # reported fixed, awaiting a manager's check
    overdue: int
    rate: float | None  # rectified / found, None when nothing was found

    def __add__(self, other: Figures) -> Figures:
        found = self.found + other.found
        rectified = self.rectified + other.rectified
        return Figures(
            found=found,
            fixed_on_spot=self.fixed_on_spot + other.fixed_on_spot,
            with_deadline=self.with_deadline + other.with_deadline,
            rectified=rectified,
            open=self.open + other.open,
            fixed=self.fixed + other.fixed,
            overdue=self.overdue + other.overdue,
            rate=rate_of(rectified, found),
        )


NONE_FOUND = Figures(0, 0, 0, 0, 0, 0, 0, None)


def rate_of(rectified: int, found: int) -> float | None:
    """The rectification rate, rounded as reported (0.886 for 39 of 44), None when nothing was found."""
    return round(rectified / found, RATE_DIGITS) if found else None


def overdue_mask(
    status: npt.NDArray[np.str_] | npt.NDArray[np.object_],
    deadline_end_s: npt.NDArray[np.float64],
    at_s: float,
) -> npt.NDArray[np.bool_]:
    """Which findings are overdue at `at_s`: open, with a deadline day that ended (NaN: no deadline)."""
    ends = np.asarray(deadline_end_s, dtype=float)
    with np.errstate(invalid="ignore"):
        is_open: npt.NDArray[np.bool_] = np.asarray(status) == "open"
        return is_open & (ends <= at_s)


def figures(
    status: npt.NDArray[np.object_],
    mode: npt.NDArray[np.object_],
    closed_as: npt.NDArray[np.object_],
    deadline_end_s: npt.NDArray[np.float64],
    at_s: float,
) -> Figures:
    """The figures of findings given as aligned arrays (their state at `at_s`), vectorised.

    `deadline_end_s` is the epoch second its deadline day ends on the area's clock, NaN without one.
    """
    status, mode, closed_as = (np.asarray(a, dtype=object) for a in (status, mode, closed_as))
    counted = closed_as != "error"
    on_spot = counted & (mode == "on_spot")
    # fixed on the spot is closed when recorded; reopened, it is no longer rectified
    found = int(counted.sum())
    rectified = int((counted & (status == "closed")).sum())
    return Figures(
        found=found,
        fixed_on_spot=int(on_spot.sum()),
        with_deadline=int((counted & (mode == "deadline")).sum()),
        rectified=rectified,
        open=int((counted & (status == "open")).sum()),
        fixed=int((counted & (status == "fixed")).sum()),
        overdue=int((counted & overdue_mask(status, deadline_end_s, at_s)).sum()),
        rate=rate_of(rectified, found),
    )


# --- what a finding may hold ------------------------------------------------------------------------

MAX_TEXT = 4000  # a finding's description (问题描述)
MAX_NOTE = 2000  # a note on a fix, a close, an extension's reason
MAX_UNIT = 200  # responsible unit (责任单位)
MAX_PERSON = 120  # responsible person (责任人)
# control characters no text field holds (tabs and line breaks are allowed in multi-line text)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_LINE_BREAKS = re.compile("[\t\n\r]")


@overload
def checked_text(
    value: object, field: str, *, max_len: int, required: Literal[True] = ..., multiline: bool = ...
) -> str: ...


@overload
def checked_text(
    value: object, field: str, *, max_len: int, required: bool, multiline: bool = ...
) -> str | None: ...


def checked_text(
    value: object, field: str, *, max_len: int, required: bool = True, multiline: bool = True
) -> str | None:
    """A text field stripped and checked: a string of at most `max_len` characters with no control
    characters (line breaks only where `multiline`); None when empty and not `required`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput.of("{field} is required", field=field)
        return None
    if not isinstance(value, str):
        raise InvalidInput.of("{field} must be text", field=field)
    text = value.strip()
    if len(text) > max_len:
        raise InvalidInput.of(
            "{field} may be at most {max} characters; it has {n}",
            field=field,
            max=f"{max_len:,}",
            n=f"{len(text):,}",
        )
    bad = _CONTROL.search(text) or (None if multiline else _LINE_BREAKS.search(text))
    if bad:
        raise InvalidInput.of(
            "{field} holds a control character (U+{code}); remove it",
            field=field,
            code=f"{ord(bad.group()):04X}",
        )
    return text


def check_plan(
    *, fixed_now: bool, deadline: date | None, unit: str | None, person: str | None, found: date
) -> None:
    """A finding is fixed on the spot (立行立改) or has a deadline, a responsible unit and person
    (限期整改), never both; a deadline is not before the day it was found."""
    if fixed_now and (deadline or unit or person):
        raise InvalidInput(
            "a finding fixed on the spot has no deadline, unit or person; give either "
            "fixed_now or a deadline with a unit and a person"
        )
    if not fixed_now:
        missing = [
            n for n, v in (("deadline", deadline), ("unit", unit), ("person", person)) if not v
        ]
        if missing:
            raise InvalidInput.of(
                "a finding not fixed on the spot needs a deadline, a responsible unit and a "
                "responsible person; missing: {missing}",
                missing=", ".join(missing),
            )
        assert deadline is not None
        if deadline < found:
            raise InvalidInput.of(
                "the deadline {deadline} is before the day the problem was found, {found}",
                deadline=deadline.isoformat(),
                found=found.isoformat(),
            )


def parse_day(text: object, field: str) -> date:
    """A calendar day written YYYY-MM-DD (years 2000 to 9000)."""
    if not isinstance(text, str):
        raise InvalidInput.of("{field} must be a date written YYYY-MM-DD", field=field)
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput.of(
            "{field} {text!r} is not a date written YYYY-MM-DD", field=field, text=text[:40]
        ) from None
    if not 2000 <= day.year <= 9000:
        raise InvalidInput.of("{field} {text!r} is out of range", field=field, text=text[:40])
    return day


def deadline_end_s(deadline: date, tz: ZoneInfo) -> int:
    """The epoch second the deadline day ends on the area's clock: from then on an open finding is
    overdue."""
    return int(datetime.combine(deadline + timedelta(days=1), time(0), tz).timestamp())


def deadline_ends(deadlines: npt.NDArray[np.object_], tz: ZoneInfo) -> npt.NDArray[np.float64]:
    """`deadline_end_s` of YYYY-MM-DD texts (None: NaN), each distinct day worked out once."""
    deadlines = np.asarray(deadlines, dtype=object)
    ends = np.full(len(deadlines), np.nan)
    has = np.array([d is not None for d in deadlines], dtype=bool)
    if has.any():
        days, inverse = np.unique(deadlines[has].astype(str), return_inverse=True)
        per_day = np.array([deadline_end_s(date.fromisoformat(d), tz) for d in days], dtype=float)
        ends[has] = per_day[inverse]
    return ends
