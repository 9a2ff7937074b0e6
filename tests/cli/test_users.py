"""`gridmgr user add NAME --role manager|planner --scope SLUG` and `user list` with scopes, on
SQLite and PostGIS."""

from __future__ import annotations

import json
import subprocess
import sys

from gridmgr import services
from gridmgr.db.models import User
from gridmgr.db.store import reading

from conftest import GEODATA


def gridmgr(db_url: str, *args: str, stdin: str = "a long secret\n") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gridmgr", "--db", db_url, *args],
        capture_output=True, text=True, input=stdin, timeout=120,
    )  # fmt: skip


def test_a_scoped_login_is_added_listed_and_refused_when_wrong(db_url, engine):
    services.add_area(engine, GEODATA / "demo_park.geojson", name="新阳路街道", slug="xinyang-lu")
    added = gridmgr(db_url, "user", "add", "chen", "--role", "manager", "--scope", "xinyang-lu")
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "user chen (manager, scope xinyang-lu) added"
    listed = json.loads(gridmgr(db_url, "user", "list", "--json").stdout)
    assert listed == [
        {"id": listed[0]["id"], "username": "chen", "role": "manager", "warden": None,
         "scope": "xinyang-lu"},
    ]  # fmt: skip
    assert "scope xinyang-lu" in gridmgr(db_url, "user", "list").stdout
    with reading(engine) as s:
        before = s.query(User).count()
    for args, told in [
        (["wang", "--role", "planner", "--scope", "nowhere"], "nowhere"),
        (["zhang", "--role", "warden", "--warden", "x", "--scope", "xinyang-lu"], "--scope is for"),
    ]:
        got = gridmgr(db_url, "user", "add", *args)
        assert got.returncode == 2 and told in got.stderr and "Traceback" not in got.stderr
    with reading(engine) as s:
        assert s.query(User).count() == before
    user = services.authenticate(engine, "chen", "a long secret")
    assert user.scope == "xinyang-lu" and user.scope_id is not None
