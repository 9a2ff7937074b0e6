"""`gridmgr maintain|archive|restore-archive` as a user types them, in their own processes: months
made ahead (once, from cron), old months to a file and back, and one plain message for bad input."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import date

from roundtools import all_rounds, fill
from sqlalchemy import text

from gridmgr.db.shared_state import add_failure, take_upload_slot

from conftest import ROOT


def gridmgr(db_url: str, *args: str) -> subprocess.CompletedProcess:
    """The real command in its own process."""
    exe = shutil.which("gridmgr")
    cmd = [exe] if exe else [sys.executable, "-m", "gridmgr"]
    env = {**os.environ, "GRIDMGR_DATABASE_URL": db_url}
    return subprocess.run(
        [*cmd, *map(str, args)], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120
    )


def test_maintain_makes_the_coming_months_once_and_prunes_stale_state(db_url, engine):
    add_failure(engine, [("user", "li")], at_s=1.0, prune_before_s=0.0)  # long ago
    assert take_upload_slot(engine, slots=1, lease_s=0) is not None  # a lapsed lease on SQLite
    first = gridmgr(db_url, "maintain", "--ahead", "5")
    assert first.returncode == 0, first.stderr
    this = date.today()
    if db_url.startswith("sqlite"):
        assert "none on SQLite" in first.stdout
        assert "lapsed upload slots freed: 1" in first.stdout
    else:
        month = f"rounds_y{this.year:04d}m{this.month:02d}"
        assert "rounds: partitions made: " in first.stdout and month not in first.stdout  # 0012
    assert "login failures pruned: 1;" in first.stdout
    again = gridmgr(db_url, "maintain", "--ahead", "5")
    assert again.returncode == 0
    if db_url.startswith("postgresql"):
        assert "rounds: partitions made: none needed; 6 months in all" in again.stdout
    assert "login failures pruned: 0;" in again.stdout


def test_archive_and_restore_archive(db_url, engine, tmp_path):
    if db_url.startswith("sqlite"):
        got = gridmgr(db_url, "archive", "--before", "2026-11", "-o", tmp_path / "a.gz")
        assert (
            got.returncode == 2
            and "needs PostgreSQL" in got.stderr
            and "Traceback" not in got.stderr
        )
        return
    fill(engine, tmp_path)
    before = all_rounds(engine)
    out = tmp_path / "rounds-2026.jsonl.gz"
    got = gridmgr(db_url, "archive", "--before", "2026-11", "-o", out)
    assert got.returncode == 0, got.stderr
    assert "2 month(s) before 2026-11" in got.stdout and "rounds 2026-09:" in got.stdout
    with engine.connect() as conn:
        assert conn.execute(text("SELECT min(at_s) FROM rounds")).scalar_one() >= 1793462400
    back = gridmgr(db_url, "restore-archive", out)
    assert back.returncode == 0, back.stderr
    assert all_rounds(engine) == before
    twice = gridmgr(db_url, "restore-archive", out)
    assert twice.returncode == 2 and "in the database already" in twice.stderr


def test_bad_months_and_files_get_one_plain_line(db_url, tmp_path):
    bad = gridmgr(db_url, "archive", "--before", "2026-13", "-o", tmp_path / "a.gz")
    assert bad.returncode == 2
    if db_url.startswith("postgresql"):
        assert "'2026-13' is not a month; write it as YYYY-MM" in bad.stderr
    junk = tmp_path / "junk.gz"
    junk.write_bytes(b"not gzip")
    for path in (junk, tmp_path / "missing.gz"):
        got = gridmgr(db_url, "restore-archive", path)
        assert got.returncode == 2 and "Traceback" not in got.stderr
        assert str(path) in got.stderr or "needs PostgreSQL" in got.stderr
