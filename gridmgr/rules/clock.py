"""Moments on an area's clock: ISO text without an offset is the area's local time."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from gridmgr.errors import InvalidInput


def parse_moment(text: str | datetime | None, tz: ZoneInfo) -> datetime:
    """An aware moment from ISO text (no offset: the area's local time), a datetime, or None for now."""
    if text is None:
        return datetime.now(UTC)
    if isinstance(text, datetime):
        moment = text
    else:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise InvalidInput(
                f"{text!r} is not an ISO time such as 2026-11-24T10:00 or 2026-11-24T10:00+08:00"
            ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def aware_utc(value: datetime) -> datetime:
    """A stored time as aware UTC (SQLite hands back UTC without an offset)."""
    return (
        value if value.tzinfo else value.replace(tzinfo=UTC)
    )  # SQLite hands back UTC without an offset
