"""Visitor caps (限流): an area's limit on people inside at once, its daily entry slots, the status of a
count against them, what a gate's count may do, and whether a checkpoint is staffed and attended.

Rules, on the area's clock:
- The limit is the smaller of floor(max capacity × percent / 100) and the instant cap; either may be
  absent, both absent means no limit.
- Slots are daily entry quotas over local times [from, to); they never overlap. When an area has slots,
  entries are only taken inside one, and the slot's entries may not pass its quota.
- Occupancy is entries minus exits since the start of the area's day; it never goes below zero (people
  inside since before the day began are not in the day's count, so an exit past zero is a mistake).
- Status: full at the limit, near from 90 % of it, open below (and always open without a limit).
- A count is all or nothing: entries that would pass the limit or the quota are refused whole, and the
  refusal says how many may still enter. A manager may override the caps (with a reason), never zero.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from datetime import time
from decimal import Decimal, InvalidOperation

from gridmgr.errors import AtCapacity, InvalidInput

NEAR = Decimal("0.9")  # "near" from 90 % of the limit
MAX_PEOPLE = 10_000_000  # a cap, capacity or quota above this is a typing mistake
MAX_COUNT = 10_000  # entries or exits in one count
STATUSES = ("open", "near", "full")
UNATTENDED_AFTER_S = 15 * 60  # a shift with no count this long after it began is unattended

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_SLOT = re.compile(r"^\s*(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*=\s*(\d+)\s*$")


@dataclass(frozen=True)
class Cap:
    """An area's caps: rated capacity × percent and/or an instant cap (None: not set)."""

    max_capacity: int | None = None
    percent: Decimal | None = None
    instant: int | None = None

    @property
    def limit(self) -> int | None:
        """People allowed inside at once: min(floor(N × P / 100), instant), None without any cap."""
        return limit_of(self.max_capacity, self.percent, self.instant)


@dataclass(frozen=True)
class Slot:
    """A daily entry slot: local times [start, end) and the entries it takes."""

    start: str  # HH:MM
    end: str  # HH:MM
    quota: int

    @property
    def label(self) -> str:
        """The slot as written: 08:00-12:00."""
        return f"{self.start}-{self.end}"


def limit_of(max_capacity: int | None, percent: Decimal | None, instant: int | None) -> int | None:
    """The smaller of floor(max_capacity × percent / 100) and `instant`; None when neither is set."""
    limits = []
    if max_capacity is not None and percent is not None:
        limits.append(math.floor(Decimal(max_capacity) * percent / 100))
    if instant is not None:
        limits.append(instant)
    return min(limits) if limits else None


def checked_cap(
    max_capacity: int | None, percent: float | str | Decimal | None, instant: int | None
) -> Cap:
    """A Cap from user input, or InvalidInput naming the option at fault."""
    if (max_capacity is None) != (percent is None):
        raise InvalidInput(
            "--max-capacity and --percent go together: the limit is max capacity × percent / 100"
        )
    pct: Decimal | None = None
    if percent is not None:
        try:
            pct = Decimal(str(percent))
        except InvalidOperation:
            raise InvalidInput(f"the percent {percent!r} is not a number such as 30") from None
        if not pct.is_finite() or not 0 < pct <= 100:
            raise InvalidInput(f"the percent must be more than 0 and at most 100, not {percent}")
    for name, value in (("max capacity", max_capacity), ("instant cap", instant)):
        if value is not None and not 0 <= value <= MAX_PEOPLE:
            raise InvalidInput(f"the {name} must be a whole number from 0 to {MAX_PEOPLE:,}")
    return Cap(max_capacity, pct, instant)


def minutes_of(hhmm: str, *, end: bool = False) -> int:
    """Minutes since midnight of HH:MM (24:00 allowed as a slot's end), or InvalidInput."""
    if end and hhmm == "24:00":
        return 24 * 60
    found = _HHMM.match(hhmm)
    if not found:
        raise InvalidInput(f"{hhmm!r} is not a time of day written HH:MM, such as 08:00")
    return int(found.group(1)) * 60 + int(found.group(2))


def parse_slot(text: str) -> Slot:
    """A slot from "HH:MM-HH:MM=QUOTA" (as `gridmgr capacity set --slot` takes it)."""
    found = _SLOT.match(text)
    if not found:
        raise InvalidInput(
            f"the slot {text!r} is not written HH:MM-HH:MM=QUOTA, such as 08:00-11:00=3000"
        )
    start, end, quota = found.group(1).zfill(5), found.group(2).zfill(5), int(found.group(3))
    return checked_slots([Slot(start, end, quota)])[0]


def checked_slots(slots: list[Slot]) -> list[Slot]:
    """Slots in time order, each ending after it starts, none overlapping, quotas in range."""
    for s in slots:
        if minutes_of(s.end, end=True) <= minutes_of(s.start):
            raise InvalidInput(
                f"the slot {s.label} ends before it starts; slots lie within one day"
            )
        if not 0 <= s.quota <= MAX_PEOPLE:
            raise InvalidInput(f"the slot {s.label} needs a quota from 0 to {MAX_PEOPLE:,}")
    ordered = sorted(slots, key=lambda s: minutes_of(s.start))
    for a, b in itertools.pairwise(ordered):
        if minutes_of(b.start) < minutes_of(a.end, end=True):
            raise InvalidInput(f"the slots {a.label} and {b.label} overlap; give each time once")
    return ordered


def slot_at(slots: list[Slot], local: time) -> Slot | None:
    """The slot a local time of day falls in, or None."""
    minute = local.hour * 60 + local.minute
    for s in slots:
        if minutes_of(s.start) <= minute < minutes_of(s.end, end=True):
            return s
    return None


def next_slot(slots: list[Slot], local: time) -> Slot | None:
    """The first slot starting after a local time of day, or None (none left today)."""
    minute = local.hour * 60 + local.minute
    return next((s for s in slots if minutes_of(s.start) > minute), None)


def status_of(occupancy: int, limit: int | None) -> str:
    """open, near (from 90 % of the limit) or full (at it or past it, after an override)."""
    if limit is None:
        return "open"
    if occupancy >= limit:
        return "full"
    return "near" if occupancy >= NEAR * limit else "open"


@dataclass(frozen=True)
class Counted:
    """The area's day after a count: people inside, entries and exits today, the slot's entries."""

    occupancy: int
    entries: int
    exits: int
    slot_entries: int | None  # None: the count fell in no slot


def apply_count(
    *,
    occupancy: int,
    entries: int,
    exits: int,
    n_in: int,
    n_out: int,
    limit: int | None,
    slots: list[Slot],
    slot: Slot | None,
    slot_entries: int,
    override: bool = False,
) -> Counted:
    """What a count of `n_in` entries and `n_out` exits makes of the day, or the error refusing it.

    Exits are taken first (a gate counting both lets people out before it lets others in). Entries
    past the limit or the slot's quota, or while no slot is open when the area has slots, raise
    AtCapacity with how many may still enter, unless a manager overrides; exits past zero raise
    InvalidInput (they are nobody the day counted in).
    """
    if n_in < 0 or n_out < 0 or n_in + n_out == 0:
        raise InvalidInput('a count needs "in" or "out" (or both), whole numbers of people, not 0')
    if n_in > MAX_COUNT or n_out > MAX_COUNT:
        raise InvalidInput(f"a count takes at most {MAX_COUNT:,} people each way; send more counts")
    if n_out > occupancy:
        raise InvalidInput(
            f"{n_out} exits, but today's count has only {occupancy} people inside; people inside "
            "since before the day began are not in it: count only those who entered today"
        )
    inside = occupancy - n_out
    if n_in and not override:
        room = None if limit is None else max(limit - inside, 0)
        if room is not None and n_in > room:
            raise AtCapacity(
                f"at capacity: {inside} of {limit} people inside, room for {room}; entry is "
                "paused until people leave",
                {"occupancy": inside, "limit": limit, "room": room, "reason": "limit"},
            )
        if slots and slot is None:
            raise AtCapacity(
                "no entry slot is open now; entries are taken only in the area's slots",
                {"occupancy": inside, "limit": limit, "room": 0, "reason": "no_slot"},
            )
        if slot is not None and slot_entries + n_in > slot.quota:
            left = max(slot.quota - slot_entries, 0)
            raise AtCapacity(
                f"the slot {slot.label} has taken {slot_entries} of its {slot.quota} entries, room "
                f"for {left}; the next slot opens at its time",
                {"occupancy": inside, "limit": limit, "room": left, "reason": "slot",
                 "slot": slot.label},
            )  # fmt: skip
    return Counted(
        occupancy=inside + n_in,
        entries=entries + n_in,
        exits=exits + n_out,
        slot_entries=None if slot is None else slot_entries + n_in,
    )


def checkpoint_state(
    *, posted: int, shift: tuple[str, str] | None, local: time, last_count_minute: int | None
) -> str:
    """A checkpoint's state at a local time: unstaffed (nobody posted), off (posted but its shift is
    not on), unattended (its shift began over 15 minutes ago and no count was logged since), or ok.

    `shift` is (HH:MM, HH:MM), None for all day; `last_count_minute` the local minute of the day's
    last count at the checkpoint (None: none today).
    """
    if posted == 0:
        return "unstaffed"
    start, end = (
        (0, 24 * 60) if shift is None else (minutes_of(shift[0]), minutes_of(shift[1], end=True))
    )
    minute = local.hour * 60 + local.minute
    if not start <= minute < end:
        return "off"
    if minute - start < UNATTENDED_AFTER_S // 60:
        return "ok"
    if last_count_minute is None or last_count_minute < start:
        return "unattended"
    return "ok"
