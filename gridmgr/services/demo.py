"""The demo database: the project's own park and community, staffed and scheduled, with a day of rounds
arranged so that the coverage map shows every kind of gap at whatever hour it is built."""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from sqlalchemy import Engine

from gridmgr.db.store import make_engine, upgrade
from gridmgr.errors import Conflict, NotFound
from gridmgr.geometry.projection import metric_crs, to_metric, to_wgs84
from gridmgr.services.areas import add_area, list_areas
from gridmgr.services.plans import grid
from gridmgr.services.reports import plan_cells
from gridmgr.services.rounds import record_round
from gridmgr.services.staff import assign, import_wardens, set_schedule
from gridmgr.services.users import add_user

TZ = "Asia/Shanghai"
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛"]
ACTOR = "demo"


@dataclass(frozen=True)
class DemoLogin:
    """A login the demo made, with its fresh password (shown once, by `gridmgr demo`)."""

    username: str
    password: str
    role: str
    warden: str | None  # the warden a warden login is


def demo_geodata() -> Path:
    """The project's geodata/ folder (GRIDMGR_GEODATA overrides), where the demo areas are drawn."""
    folder = Path(
        os.environ.get("GRIDMGR_GEODATA") or Path(__file__).resolve().parents[2] / "geodata"
    )
    if not (folder / "demo_park.geojson").is_file():
        raise NotFound(
            f"the demo areas are not at {folder}; run gridmgr demo from a checkout of the project "
            "or set GRIDMGR_GEODATA to its geodata/ folder"
        )
    return folder


def build_demo(url: str, *, now: datetime | None = None) -> list[DemoLogin]:
    """Build the demo in an empty database (a SQLite file is made afresh); returns the demo logins.

    The park is split into 30 equal cells, then re-drawn by a "planner" with one cell pulled in (a gap)
    and one pushed out (overlaps); 28 cells get a warden, 26 a schedule, and the rounds of yesterday
    and of today up to now leave cells ok, due and overdue. `now` (default the clock) is the moment
    the demo is built as of: rounds are logged up to it, even when it is later than the clock.
    """
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = make_engine(url)
    try:
        upgrade(engine)
        if list_areas(engine):
            raise Conflict(f"the database {url!r} already holds areas; the demo needs an empty one")
        tz = ZoneInfo(TZ)
        now = (now or datetime.now(tz)).astimezone(tz)
        geodata = demo_geodata()
        # slugs chosen here: these names are written in both scripts, and the demo's links stay put
        park = add_area(engine, geodata / "demo_park.geojson", name="海滨儿童公园 Haibin Children's Park",
                        kind="park", slug="haibin-childrens-park", code="HB-",
                        actor=ACTOR).slug  # fmt: skip
        community = add_area(engine, geodata / "demo_community.geojson",
                             name="新河社区 Xinhe Community", kind="community",
                             slug="xinhe-community", code="XH-", actor=ACTOR).slug  # fmt: skip
        grid(engine, park, count=30, actor=ACTOR)
        _redraw_with_a_gap_and_an_overlap(engine, park)
        grid(engine, community, cell_size=60, shape="hex", actor=ACTOR)
        codes = list(plan_cells(engine, park)["code"])
        names = _warden_names(30)
        _staff(engine, park, codes, names)
        rhythms = _schedule(engine, park, codes, now)
        _rounds(engine, park, codes, names, rhythms, now)
        return _users(engine, names)
    finally:
        engine.dispose()


def _redraw_with_a_gap_and_an_overlap(engine: Engine, slug: str) -> None:
    """A planner's own drawing of the 30 cells: cell 5 drawn 6 m short, cell 12 drawn 4 m over."""
    cells = plan_cells(engine, slug)
    geoms = np.asarray(cells.geometry.values)
    crs = metric_crs(shapely.union_all(geoms))
    m = to_metric(geoms, crs)
    m[4] = shapely.buffer(m[4], -6, join_style="mitre")
    m[11] = shapely.buffer(m[11], 4, join_style="mitre")
    features = [
        {
            "type": "Feature",
            "properties": {"code": code},
            "geometry": json.loads(shapely.to_geojson(g)),
        }
        for code, g in zip(cells["code"], to_wgs84(m, crs), strict=True)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        drawn = Path(tmp) / "drawn.geojson"
        drawn.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
        grid(engine, slug, from_file=drawn, actor=ACTOR)


def _warden_names(n: int) -> list[str]:
    return [SURNAMES[k % len(SURNAMES)] + GIVEN[(k * 7) % len(GIVEN)] for k in range(n)]


def _staff(engine: Engine, slug: str, codes: list[str], names: list[str]) -> None:
    """One warden per cell, cells 8 and 20 left unstaffed, their wardens helping in busy cells 1 and 2."""
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "wardens.csv"
        rows = [
            f"{n},139{k:08d},{'leader' if k % 10 == 0 else 'member'}" for k, n in enumerate(names)
        ]
        csv.write_text("name,phone,role\n" + "\n".join(rows) + "\n", encoding="utf-8")
        import_wardens(engine, csv, actor=ACTOR)
    for k, code in enumerate(codes):
        target = {7: codes[0], 19: codes[1]}.get(k, code)
        role = "leader" if k % 10 == 0 else "member"
        assign(engine, slug, [target], names[k], role=role, actor=ACTOR)


def _schedule(
    engine: Engine, slug: str, codes: list[str], now: datetime
) -> dict[str, dict[str, Any]]:
    """3+N for most cells; two unscheduled; two on rounds set around now so one is due and one overdue."""
    minutes = now.hour * 60 + now.minute
    due_at = f"{now.hour:02d}:{now.minute:02d}"  # its window is open right now
    overdue: dict[str, Any]
    if minutes >= 150:  # a round two hours ago whose window closed an hour ago
        overdue = {"times": [_hhmm(minutes - 120)], "window": (30, 60)}
    else:  # just after midnight: a round at 00:00 whose window has just closed
        overdue = {"times": ["00:00"], "window": (0, max(minutes - 1, 1))}
    rhythms: dict[str, dict[str, Any]] = {}
    for k, code in enumerate(codes):
        if k in (13, 25):
            continue  # unscheduled
        r: dict[str, Any] = {
            "times": ["08:00", "12:00", "18:00"],
            "extra": 2 if k < 3 else 0,
            "window": (30, 90),
        }
        if k == 9:
            r = {"times": [due_at], "extra": 0, "window": (30, 90)}
        elif k == 17:
            r = {"extra": 0, **overdue}
        set_schedule(engine, slug, [code], times=r["times"], extra=r["extra"], window=r["window"],
                     since=now - timedelta(days=2), actor=ACTOR)  # fmt: skip
        rhythms[code] = r
    return rhythms


def _rounds(engine: Engine, slug: str, codes: list[str], names: list[str],
            rhythms: dict[str, dict[str, Any]], now: datetime) -> None:  # fmt: skip
    """Yesterday and today up to now: on time mostly, a few late, a few missed (those stay overdue)."""
    holder = {code: names[k] for k, code in enumerate(codes) if k not in (7, 19)}
    rng = np.random.default_rng(654)
    for code, r in rhythms.items():
        if code not in holder or code in (codes[9], codes[17]):
            continue  # the due and overdue showcases get no rounds
        skip_today = code in (codes[4], codes[21], codes[28])  # these miss their rounds today
        for day in (now.date() - timedelta(days=1), now.date()):
            for hhmm in r["times"]:
                h, mm = (int(x) for x in hhmm.split(":"))
                at = datetime(day.year, day.month, day.day, h, mm, tzinfo=now.tzinfo)
                at += timedelta(minutes=int(rng.integers(-20, 60)))
                if at > now - timedelta(minutes=1) or (day == now.date() and skip_today):
                    continue
                record_round(engine, slug, code, holder[code], at=at,
                             note="消毒完成" if rng.random() < 0.3 else None, actor=ACTOR,
                             now=_sent(at, now), manager=False)  # fmt: skip
            for extra in range(r["extra"]):
                at = datetime(day.year, day.month, day.day, 10 + 4 * extra, 30, tzinfo=now.tzinfo)
                if at < now and not (day == now.date() and extra > 0):
                    record_round(engine, slug, code, holder[code], at=at, note="加密消毒",
                                 actor=ACTOR, now=_sent(at, now), manager=False)  # fmt: skip


def _sent(at: datetime, now: datetime) -> datetime:
    """When the demo's warden sent a round done at `at`: a minute later (never after the demo's now)."""
    return min(at + timedelta(minutes=1), now)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _users(engine: Engine, names: list[str]) -> list[DemoLogin]:
    """manager, planner and three warden logins, each with a fresh random password."""
    users: list[tuple[str, str, str | None]] = [
        ("manager", "manager", None),
        ("planner", "planner", None),
    ]
    users += [(f"warden{k + 1}", "warden", names[k]) for k in range(3)]
    out = []
    for username, role, warden in users:
        password = secrets.token_urlsafe(9)
        add_user(engine, username, role=role, password=password, warden=warden, actor=ACTOR)
        out.append(DemoLogin(username, password, role, warden))
    return out
