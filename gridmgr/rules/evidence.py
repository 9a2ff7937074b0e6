"""Rounds and findings are evidence: the server's own time of receipt, how far back a warden may
date an entry, when an entry counts as late, and when a manager's entry is a backfill."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from gridmgr.errors import InvalidInput

WARDEN_WINDOW = timedelta(hours=24)  # a phone that was offline may send a round this late
CLOCK_SKEW = timedelta(minutes=2)  # phones' clocks drift; an entry further ahead is refused
LATE_AFTER = timedelta(minutes=15)  # received this long after its time: marked late_entry
MAX_ACCURACY_M = 2000.0  # a coarser fix (a cell tower's) proves nothing about a cell


@dataclass(frozen=True)
class Location:
    """Where a phone says it was: WGS84 longitude and latitude, and its accuracy in metres."""

    lon: float
    lat: float
    accuracy_m: float | None = None


def checked_location(lon: object, lat: object, accuracy_m: object = None) -> Location:
    """A Location from untrusted values, or InvalidInput naming what is wrong and how to fix it."""
    if not _number(lon) or not _number(lat):
        raise InvalidInput('a location needs "lon" and "lat" as numbers (WGS84 degrees)')
    x, y = float(lon), float(lat)  # type: ignore[arg-type]
    if not (-180.0 <= x <= 180.0 and -90.0 <= y <= 90.0):
        raise InvalidInput.of(
            "the location ({lon}, {lat}) is not a WGS84 longitude, latitude: longitude runs "
            "from -180 to 180, latitude from -90 to 90; send lon first",
            lon=x,
            lat=y,
        )
    if accuracy_m is None:
        return Location(x, y, None)
    if not _number(accuracy_m) or not 0.0 <= float(accuracy_m) <= MAX_ACCURACY_M:  # type: ignore[arg-type]
        raise InvalidInput.of(
            '"accuracy_m" must be a number of metres from 0 to {most}; got {got}: wait for a '
            "better fix (GPS on, outdoors) or send the round without a location",
            most=f"{MAX_ACCURACY_M:,.0f}",
            got=str(accuracy_m),
        )
    return Location(x, y, float(accuracy_m))  # type: ignore[arg-type]


def _number(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


@dataclass(frozen=True)
class Stamp:
    """When an entry happened (`at`), when the server received it, whether that was late, and
    whether a manager dated it back for someone else (a backfill)."""

    at: datetime
    received_at: datetime
    late_entry: bool
    backfilled: bool


def stamp_entry(
    at: datetime | None, received_at: datetime, *, manager: bool, what: str = "a round"
) -> Stamp:
    """Check an entry's time against the server's and stamp it; InvalidInput names the fault.

    No `at` is the time of receipt. Never more than CLOCK_SKEW ahead of `received_at`; a warden
    (not `manager`) may date an entry at most WARDEN_WINDOW back, a manager any past time (a
    backfill when it is late). Late means received more than LATE_AFTER after `at`.
    """
    when = received_at if at is None else at
    if when > received_at + CLOCK_SKEW:
        raise InvalidInput.of(
            "{at} is in the future; {what} cannot be dated ahead of the server's clock (more "
            "than 2 minutes): check the phone's clock",
            at=when.isoformat(),
            what=what,
        )
    if not manager and when < received_at - WARDEN_WINDOW:
        raise InvalidInput.of(
            "{at} is more than 24 hours ago; a warden may date {what} at most 24 hours back: "
            "ask a manager to backfill it",
            at=when.isoformat(),
            what=what,
        )
    late = received_at - when > LATE_AFTER
    return Stamp(at=when, received_at=received_at, late_entry=late, backfilled=manager and late)
