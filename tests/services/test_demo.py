"""The demo: at any hour it shows every kind of gap, and `gridmgr demo` builds it and serves it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gridmgr import services
from gridmgr.services.demo import TZ, build_demo

KINDS = ("unstaffed", "unscheduled", "due", "overdue", "ok", "short_of_extra")


@pytest.mark.parametrize("hhmm", ["00:05", "02:29", "02:31", "08:10", "12:00", "19:45", "23:59"])
def test_every_kind_of_gap_at_any_hour(tmp_path, hhmm):
    # a moment tomorrow, so the plans written now were already active then
    tz = ZoneInfo(TZ)
    day = datetime.now(tz).date() + timedelta(days=1)
    h, m = (int(x) for x in hhmm.split(":"))
    now = datetime(day.year, day.month, day.day, h, m, tzinfo=tz)
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    users = build_demo(url, now=now)
    from gridmgr.db.store import make_engine

    engine = make_engine(url)
    try:
        areas = {a.slug: a for a in services.list_areas(engine)}
        assert len(areas) == 2
        park = next(a for a in areas.values() if a.kind == "park")
        assert park.cells == 30
        report = services.coverage_report(engine, park.slug, at=now)
        for kind in KINDS:
            assert getattr(report, kind), f"no {kind} cell at {hhmm}"
        assert report.ground.gaps and report.ground.overlaps
        assert 0.9 < report.ground.coverage_ratio < 1
        assert {u.role for u in users} == {"manager", "planner", "warden"}
        for u in users:
            assert services.authenticate(engine, u.username, u.password).role == u.role
    finally:
        engine.dispose()


def test_a_second_demo_starts_afresh(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    first = build_demo(url)
    second = build_demo(url)
    assert first[0].password != second[0].password


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gridmgr_demo_serves_the_map(tmp_path):
    port = _free_port()
    env = {**os.environ, "GRIDMGR_INSTANCE": str(tmp_path / "unused")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gridmgr", "demo", "--port", str(port), "--instance", str(tmp_path / "i")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as r:
                    assert r.status == 200
                    assert "Log in" in r.read().decode()
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read()
                assert time.monotonic() < deadline, "gridmgr demo did not start serving in 60 s"
                time.sleep(0.3)
    finally:
        proc.terminate()
        out, _err = proc.communicate(timeout=10)
    assert "manager" in out and "serving on http://127.0.0.1" in out
    assert (tmp_path / "i" / "demo.db").exists()
