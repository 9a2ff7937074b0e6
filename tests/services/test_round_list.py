"""A cell's rounds on a local day, oldest first; a warden sees only the cells it holds."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gridmgr import services
from gridmgr.errors import Forbidden, NotFound
from gridmgr.services.round_list import cell_rounds

CELL = "HAIBIN-CHILDRENS-PARK-001"
TZ = ZoneInfo("Asia/Shanghai")


def test_the_rounds_of_a_local_day_oldest_first(engine, park):
    services.add_warden(engine, "张伟")
    services.add_warden(engine, "李娜")
    services.assign(engine, park, [CELL], "张伟")
    day = date(2026, 11, 24)
    later = datetime(2026, 11, 30, tzinfo=TZ)
    # logged out of order, across the local midnights either side of the day
    for hhmm in ("12:00", "00:00", "23:59", "08:10"):
        services.record_round(engine, park, CELL, "张伟", at=f"{day}T{hhmm}", now=later)
    services.record_round(
        engine, park, CELL, "张伟", at=f"{day - timedelta(days=1)}T23:59", now=later
    )
    services.record_round(
        engine, park, CELL, "张伟", at=f"{day + timedelta(days=1)}T00:00", now=later
    )
    got = cell_rounds(engine, park, CELL, day=day)
    assert (got.area, got.cell, got.day, got.timezone) == (park, CELL, day, "Asia/Shanghai")
    assert [r.at.strftime("%H:%M") for r in got.rounds] == ["00:00", "08:10", "12:00", "23:59"]
    assert all(r.at.date() == day and r.warden == "张伟" for r in got.rounds)
    assert cell_rounds(engine, park, CELL, day=day, warden="张伟").rounds == got.rounds
    with pytest.raises(Forbidden, match="you do not hold cell"):
        cell_rounds(engine, park, CELL, day=day, warden="李娜")
    # the default day is today on the area's clock at `now`
    assert (
        cell_rounds(engine, park, CELL, now=datetime(2026, 11, 24, 20, tzinfo=TZ)).rounds
        == got.rounds
    )
    assert cell_rounds(engine, park, "HAIBIN-CHILDRENS-PARK-002", day=day).rounds == ()
    with pytest.raises(NotFound):
        cell_rounds(engine, park, "X-1", day=day)
