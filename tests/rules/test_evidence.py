"""The evidence rules: how far back a warden may date an entry, never ahead of the server's clock
(2 minutes' skew), late after 15 minutes, managers' backfills; a position's values checked."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridmgr.errors import InvalidInput
from gridmgr.rules.evidence import (
    CLOCK_SKEW,
    LATE_AFTER,
    MAX_ACCURACY_M,
    WARDEN_WINDOW,
    Location,
    checked_location,
    stamp_entry,
)

NOW = datetime(2026, 12, 2, 6, 30, tzinfo=UTC)
offsets = st.integers(min_value=-10 * 24 * 3600, max_value=3 * 3600).map(
    lambda s: timedelta(seconds=s)
)


@given(offset=offsets, manager=st.booleans())
def test_an_entry_is_taken_exactly_when_its_time_is_within_the_rules(offset, manager):
    """Refused exactly when ahead by more than the skew, or (a warden's) more than 24 h back;
    otherwise late exactly when over 15 minutes back, backfilled exactly when a manager's late one."""
    at = NOW + offset
    ahead = offset > CLOCK_SKEW
    too_old = not manager and -offset > WARDEN_WINDOW
    if ahead or too_old:
        with pytest.raises(InvalidInput) as err:
            stamp_entry(at, NOW, manager=manager)
        assert ("ahead of the server's clock" in str(err.value)) == ahead
        assert ("at most 24 hours back" in str(err.value)) == (too_old and not ahead)
        return
    stamp = stamp_entry(at, NOW, manager=manager)
    assert stamp.at == at and stamp.received_at == NOW
    assert stamp.late_entry == (-offset > LATE_AFTER)
    assert stamp.backfilled == (manager and stamp.late_entry)


@given(manager=st.booleans())
def test_no_time_is_the_time_of_receipt_and_never_late(manager):
    stamp = stamp_entry(None, NOW, manager=manager)
    assert (stamp.at, stamp.late_entry, stamp.backfilled) == (NOW, False, False)


def test_the_issues_examples():
    with pytest.raises(InvalidInput, match="at most 24 hours back"):
        stamp_entry(NOW - timedelta(days=3), NOW, manager=False)
    with pytest.raises(InvalidInput, match="is in the future"):
        stamp_entry(NOW + timedelta(hours=1), NOW, manager=False)
    assert stamp_entry(NOW - timedelta(hours=2), NOW, manager=False).late_entry
    backfill = stamp_entry(NOW - timedelta(days=3), NOW, manager=True)
    assert backfill.backfilled and backfill.late_entry
    # the boundaries: exactly 24 h back and 2 minutes ahead are taken, a second more is not
    assert stamp_entry(NOW - WARDEN_WINDOW, NOW, manager=False).late_entry
    assert not stamp_entry(NOW + CLOCK_SKEW, NOW, manager=False).late_entry
    assert not stamp_entry(NOW - LATE_AFTER, NOW, manager=False).late_entry
    with pytest.raises(InvalidInput):
        stamp_entry(NOW - WARDEN_WINDOW - timedelta(seconds=1), NOW, manager=False)
    with pytest.raises(InvalidInput):
        stamp_entry(NOW + CLOCK_SKEW + timedelta(seconds=1), NOW, manager=True)


@given(
    lon=st.floats(allow_nan=True, allow_infinity=True),
    lat=st.floats(allow_nan=True, allow_infinity=True),
    accuracy=st.none() | st.floats(allow_nan=True, allow_infinity=True),
)
def test_a_location_is_taken_exactly_when_its_values_are_possible(lon, lat, accuracy):
    fine = (
        math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90
        and (accuracy is None or (math.isfinite(accuracy) and 0 <= accuracy <= MAX_ACCURACY_M))
    )  # fmt: skip
    if fine:
        assert checked_location(lon, lat, accuracy) == Location(lon, lat, accuracy)
    else:
        with pytest.raises(InvalidInput):
            checked_location(lon, lat, accuracy)


@pytest.mark.parametrize(
    ("lon", "lat", "accuracy", "message"),
    [
        ("120.1", 36.0, None, "as numbers"),
        (True, 36.0, None, "as numbers"),
        (36.0, 120.1, None, "send lon first"),
        (120.1, 36.0, -5, "accuracy_m"),
        (120.1, 36.0, "10", "accuracy_m"),
        (120.1, 36.0, 50_000, "better fix"),
    ],
)
def test_a_bad_location_says_what_is_wrong(lon, lat, accuracy, message):
    with pytest.raises(InvalidInput, match=message):
        checked_location(lon, lat, accuracy)
