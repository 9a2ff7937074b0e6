"""Recording rounds: only in a held cell, at a valid moment not in the future (SQLite and PostGIS)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gridmgr import services
from gridmgr.errors import Forbidden, InvalidInput


def test_log_a_round_only_in_a_held_cell(engine, park):
    services.add_warden(engine, "张伟")
    services.add_warden(engine, "李娜")
    services.assign(engine, park, ["HAIBIN-CHILDRENS-PARK-001"], "张伟")
    got = services.record_round(
        engine, park, "HAIBIN-CHILDRENS-PARK-001", "张伟", at="2026-11-24T08:10", note="done"
    )
    assert got.new and got.round.at.isoformat() == "2026-11-24T08:10:00+08:00"
    assert (got.round.cell, got.round.warden, got.round.note) == (
        "HAIBIN-CHILDRENS-PARK-001",
        "张伟",
        "done",
    )
    with pytest.raises(Forbidden, match="李娜 does not hold cell HAIBIN-CHILDRENS-PARK-001"):
        services.record_round(engine, park, "HAIBIN-CHILDRENS-PARK-001", "李娜")
    with pytest.raises(InvalidInput, match="not an ISO time"):
        services.record_round(engine, park, "HAIBIN-CHILDRENS-PARK-001", "张伟", at="yesterday")
    # a day built as of a later moment (the demo's): its rounds are not in the future
    later = datetime(2031, 5, 1, 9, tzinfo=UTC)
    with pytest.raises(InvalidInput, match="in the future"):
        services.record_round(engine, park, "HAIBIN-CHILDRENS-PARK-001", "张伟", at=later)
    done = services.record_round(
        engine, park, "HAIBIN-CHILDRENS-PARK-001", "张伟", at=later, now=later
    )
    assert done.round.at == later
