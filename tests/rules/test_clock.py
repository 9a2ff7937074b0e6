"""Moments on an area's clock: ISO text without an offset is the area's local time, with one it is
taken as written; stored times come back as aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridmgr.errors import InvalidInput
from gridmgr.rules.clock import aware_utc, parse_moment

ZONES = st.sampled_from(["Asia/Shanghai", "Asia/Urumqi", "Europe/London", "America/Detroit", "UTC"])
naive = st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1))


@given(moment=naive, zone=ZONES)
def test_text_without_an_offset_is_the_areas_local_time(moment, zone):
    tz = ZoneInfo(zone)
    got = parse_moment(moment.isoformat(), tz)
    assert got.tzinfo is tz and got.replace(tzinfo=None) == moment


@given(moment=naive, zone=ZONES, hours=st.integers(-12, 14))
def test_text_with_an_offset_keeps_it(moment, zone, hours):
    written = moment.replace(tzinfo=timezone(timedelta(hours=hours)))
    got = parse_moment(written.isoformat(), ZoneInfo(zone))
    assert got == written and got.utcoffset() == timedelta(hours=hours)


@given(moment=naive, zone=ZONES)
def test_a_datetime_is_taken_as_text_would_be(moment, zone):
    tz = ZoneInfo(zone)
    assert parse_moment(moment, tz) == parse_moment(moment.isoformat(), tz)
    aware = moment.replace(tzinfo=UTC)
    assert parse_moment(aware, tz) is aware


def test_none_is_now_and_bad_text_is_refused_with_an_example():
    before = datetime.now(UTC)
    now = parse_moment(None, ZoneInfo("Asia/Shanghai"))
    assert before <= now <= datetime.now(UTC) and now.tzinfo is UTC
    for text in ("yesterday", "2026-13-01T10:00", "", "10:00 tomorrow"):
        with pytest.raises(InvalidInput, match="is not an ISO time such as 2026-11-24T10:00"):
            parse_moment(text, ZoneInfo("Asia/Shanghai"))


@given(moment=naive)
def test_stored_times_come_back_as_aware_utc(moment):
    assert aware_utc(moment) == moment.replace(tzinfo=UTC)
    shanghai = moment.replace(tzinfo=ZoneInfo("Asia/Shanghai"))
    assert aware_utc(shanghai) is shanghai  # aware times are left as they are
