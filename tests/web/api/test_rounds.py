"""`GET /api/v1/areas/{slug}/cells/{code}/rounds?day=`: a cell's rounds of a day, oldest first, as the
service lists them; managers and planners read any cell, a warden its own; the day checked."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gridmgr import services

from webtools import login

TZ = ZoneInfo("Asia/Shanghai")


def url(seeded, k: int, day: object = None) -> str:
    tail = "" if day is None else f"?day={day}"
    return f"/api/v1/areas/{seeded.slug}/cells/{seeded.codes[k]}/rounds{tail}"


def test_a_cells_rounds_by_role(site, engine):
    app, seeded = site
    day = (datetime.now(TZ) - timedelta(hours=30)).date()  # backfilled, as a manager may
    now = datetime.now(TZ)
    for hhmm in ("12:05", "08:10"):
        services.record_round(
            engine, seeded.slug, seeded.codes[0], "warden1", at=f"{day}T{hhmm}", now=now
        )
    listed = services.cell_rounds(engine, seeded.slug, seeded.codes[0], day=day)
    for username in ("manager", "planner", "warden1"):
        client = app.test_client()
        login(client, username)
        got = client.get(url(seeded, 0, day))
        assert got.status_code == 200, got.get_data(as_text=True)
        body = got.get_json()
        assert [r["at"][11:16] for r in body] == ["08:10", "12:05"]
        assert [r["id"] for r in body] == [r.id for r in listed.rounds]
        assert client.get(url(seeded, 0, day + timedelta(days=1))).get_json() == []
    client = app.test_client()
    login(client, "warden1")
    assert client.get(url(seeded, 1, day)).status_code == 403  # not its cell
    login(client, "manager")
    assert client.get(url(seeded, 1)).get_json() == []  # today by default, nothing logged


@pytest.mark.parametrize(
    ("day", "words"),
    [
        ("24-11-2026", "YYYY-MM-DD"),
        ("1900-01-01", "no round was logged in 1900"),
        ("20261124", "YYYY-MM-DD"),
    ],
)
def test_a_bad_day_is_a_clear_422(site, day, words):
    app, seeded = site
    client = app.test_client()
    login(client, "manager")
    got = client.get(url(seeded, 0, day))
    assert got.status_code == 422 and words in got.get_json()["error"]["message"]
    assert client.get(f"/api/v1/areas/{seeded.slug}/cells/NOPE/rounds").status_code == 404
