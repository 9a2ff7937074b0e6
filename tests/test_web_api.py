"""The JSON API under /api/v1 and the services behind it, on SQLite and PostGIS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gridmgr.errors import NotFound

from webtools import seed_park


@pytest.fixture
def park(engine, tmp_path):
    return seed_park(engine, tmp_path)


def _tomorrow_local(hhmm: str) -> str:
    """An ISO moment tomorrow in Shanghai (after any plan the test made), without offset."""
    day = (datetime.now(UTC) + timedelta(hours=8) + timedelta(days=1)).date()
    return f"{day.isoformat()}T{hhmm}"


def test_warden_cells_show_todays_rounds_by_the_schedule_rules(engine, park):
    from gridmgr import services

    code = park.codes[0]
    for t in ("08:10", "14:00", "15:10"):
        services.log_round(engine, park.slug, code, "warden1", at=_tomorrow_local(t))
    mine = services.warden_cells(engine, "warden1", at=_tomorrow_local("15:20"))
    assert [c["code"] for c in mine["cells"]] == [code]
    cell = mine["cells"][0]
    assert cell["area"] == park.slug and cell["area_name"] == "Haibin Park"
    assert cell["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert [(r["time"], r["status"]) for r in cell["rounds"]] == [
        ("08:00", "done"),
        ("12:00", "late"),
        ("18:00", "upcoming"),
    ]
    assert cell["extra"] == {"done": 1, "expected": 1}
    assert cell["status"] == "ok"
    assert cell["last_round"].endswith("15:10:00+08:00")
    assert len(cell["logged"]) == 3
    report = services.coverage_report(
        engine, park.slug, at=_tomorrow_local("15:20"), with_cells=True
    )
    assert report["cells"][0]["status"] == cell["status"]
    later = services.warden_cells(engine, "warden1", at=_tomorrow_local("19:45"))
    assert [r["status"] for r in later["cells"][0]["rounds"]] == ["done", "late", "overdue"]
    assert later["cells"][0]["status"] == "overdue"
    with pytest.raises(NotFound):
        services.warden_cells(engine, "nobody")
