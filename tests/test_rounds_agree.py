"""The warden's view, the coverage report, the map and the staff roster judge rounds alike: through a
whole day, every 15 minutes, with schedules set before the day and at 12:45 local time, and rounds
logged on time, late, twice in one window and as extras (SQLite and PostGIS, through the API)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from webtools import seed_park

API = "/api/v1"
TZ = ZoneInfo("Asia/Shanghai")
LATER = datetime.now(TZ) + timedelta(days=3)  # "now" for rounds logged on a day still to come
# cell number: (round times, extra rounds, window, set at 12:45 of the day?, logs as HH:MM of the day)
CELLS = {
    0: ("08:00,12:00,18:00", 1, (30, 90), False, ["08:05", "08:20", "14:00", "15:10", "18:30"]),
    1: ("08:00,12:00,18:00", 1, (30, 90), True, ["09:00", "12:50", "13:10", "20:00"]),
    2: ("08:00,12:00,18:00", 0, (30, 90), True, []),
    3: ("00:15,23:45", 0, (30, 90), False, ["00:40", "02:00", "23:50"]),
    4: ("08:00,12:00", 2, (30, 90), True, ["07:50", "11:40", "16:00", "16:10", "17:00"]),
    5: ("12:00", 0, (30, 30), True, ["12:10"]),
}


@pytest.fixture
def day_of_rounds(engine, app_factory, tmp_path):
    """The seeded park with warden1 holding six cells of different schedules and logs on a day after
    the plan was made; an app with tokens for warden1 and the manager."""
    from gridmgr import services

    park = seed_park(engine, tmp_path)
    day = (datetime.now(TZ) + timedelta(days=1)).date()
    codes = [park.codes[k] for k in CELLS]
    services.assign(engine, park.slug, codes[1:], "warden1")
    for k, (times, extra, window, midday, logs) in CELLS.items():
        since = datetime(day.year, day.month, day.day, 12, 45, tzinfo=TZ) if midday else None
        services.set_schedule(
            engine, park.slug, [park.codes[k]], times=times.split(","), extra=extra,
            window=window, since=since,
        )  # fmt: skip
        for hhmm in logs:
            at = f"{day}T{hhmm}"
            services.record_round(engine, park.slug, park.codes[k], "warden1", at=at, now=LATER)
    app = app_factory()
    ids = {u.username: u.id for u in services.list_users(engine)}
    tokens = {
        u: {"Authorization": f"Bearer {services.issue_token(engine, ids[u])}"}
        for u in ("manager", "warden1")
    }
    return park, day, codes, app.test_client(), tokens


def test_warden_view_report_map_and_roster_agree_through_a_day(engine, day_of_rounds):
    from gridmgr import services

    park, day, codes, client, tokens = day_of_rounds
    seen = set()
    for minutes in range(0, 24 * 60, 15):
        at = f"{day}T{minutes // 60:02d}:{minutes % 60:02d}"
        mine = client.get(f"{API}/me/cells?at={at}", headers=tokens["warden1"]).get_json()
        report = client.get(
            f"{API}/areas/{park.slug}/coverage?at={at}&day={day}", headers=tokens["manager"]
        ).get_json()
        shown = client.get(
            f"{API}/areas/{park.slug}/cells?at={at}&fields=code,status", headers=tokens["manager"]
        ).get_json()
        roster = {c.code: c for c in services.area_staff(engine, park.slug, at=at).cells}
        on_map = {f["properties"]["code"]: f["properties"]["status"] for f in shown["features"]}
        summary = {row["code"]: row for row in report["day"]["cells"]}
        listed = {s: set(report[s]) for s in ("ok", "due", "overdue")}
        assert sorted(c["code"] for c in mine["cells"]) == sorted(codes)
        for cell in mine["cells"]:
            code, where = cell["code"], (at, cell["code"])
            states = [r["status"] for r in cell["rounds"]]
            row = summary[code]
            # the warden's rounds, one by one, are what the report counts
            assert states.count("done") == row["done"], where
            assert states.count("late") == row["late"], where
            assert states.count("overdue") == row["missed"], where
            assert len(states) + cell["extra"]["expected"] == row["expected"], where
            assert (cell["extra"]["done"] < cell["extra"]["expected"]) == (
                code in report["short_of_extra"]
            ), where
            # one status everywhere
            status = cell["status"]
            assert code in listed[status], where
            assert on_map[code] == status, where
            assert roster[code].status == status, where
            done = row["done"] + row["late"] + cell["extra"]["done"]
            assert (roster[code].rounds_done, roster[code].rounds_expected) == (
                done,
                row["expected"],
            ), where
            seen.add((code, status))
            seen.update((code, s) for s in states)
    # the day went through every state, in the cells set at 12:45 too
    for k in (0, 1, 4):
        assert {s for c, s in seen if c == codes[k]} >= {"ok", "due", "done"}, codes[k]
    assert {s for _, s in seen} >= {"ok", "due", "overdue", "done", "late", "upcoming"}
