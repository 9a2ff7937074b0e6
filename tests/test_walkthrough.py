"""The README walk-through, run as a user would through the `gridmgr` command, on SQLite and PostGIS."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select

from gridmgr.db.models import Assignment, Cell, GridPlan, Schedule, Warden
from gridmgr.db.store import make_engine, reading

import faulthooks
from conftest import ROOT


def gridmgr(db_url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "gridmgr", "--db", db_url, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    if check:
        assert done.returncode == 0, done.stderr
    return done


def active_plan_facts(db_url: str) -> dict:
    engine = make_engine(db_url)
    try:
        with reading(engine) as s:
            plan = s.execute(select(GridPlan).where(GridPlan.active)).scalar_one()
            cells = s.execute(select(func.count()).where(Cell.plan_id == plan.id)).scalar()
            staffed = s.execute(
                select(func.count(func.distinct(Assignment.cell_id)))
                .join(Cell, Cell.id == Assignment.cell_id)
                .where(Cell.plan_id == plan.id)
            ).scalar()
            posted = s.execute(
                select(func.count(func.distinct(Assignment.warden_id)))
                .join(Cell, Cell.id == Assignment.cell_id)
                .where(Cell.plan_id == plan.id)
            ).scalar()
            scheduled = s.execute(
                select(func.count())
                .select_from(Schedule)
                .join(Cell, Cell.id == Schedule.cell_id)
                .where(Cell.plan_id == plan.id)
            ).scalar()
            wardens = s.execute(select(func.count()).select_from(Warden)).scalar()
            plans = s.execute(select(func.count()).select_from(GridPlan)).scalar()
        return {
            "version": plan.version,
            "cells": cells,
            "staffed": staffed,
            "posted": posted,
            "scheduled": scheduled,
            "wardens": wardens,
            "plans": plans,
        }
    finally:
        engine.dispose()


def test_daoli_walkthrough(db_url, shared_geodata, tmp_path):
    daoli = shared_geodata / "admin" / "harbin_daoli_230102.json"
    slug = gridmgr(
        db_url, "area", "add", daoli, "--name", "Daoli", "--kind", "district", "--crs", "gcj02"
    ).stdout.strip()
    assert slug == "daoli"
    gridmgr(db_url, "grid", slug, "--count", "654")
    csv = tmp_path / "wardens.csv"
    csv.write_text(
        "name,phone\n" + "".join(f"网格员{k:04d},1380000{k:04d}\n" for k in range(2000)),
        encoding="utf-8",
    )
    assert "imported 2000 wardens" in gridmgr(db_url, "warden", "import", csv).stdout
    gridmgr(db_url, "assign", slug, "--auto")
    gridmgr(db_url, "schedule", "set", slug, "--times", "08:00,12:00,18:00", "--extra", "2")
    dry = gridmgr(db_url, "grid", slug, "--count", "700", "--dry-run")
    assert "dry run: nothing written" in dry.stdout
    gridmgr(db_url, "grid", slug, "--count", "700")
    facts = active_plan_facts(db_url)
    assert facts == {
        "version": 2,
        "cells": 700,
        "staffed": 700,
        "posted": 2000,
        "scheduled": 700,
        "wardens": 2000,
        "plans": 2,
    }
    listed = gridmgr(db_url, "area", "list", "--json").stdout
    assert '"cells": 700' in listed


def test_regrid_killed_mid_write_leaves_the_old_plan(db_url, tmp_path):
    park = ROOT / "geodata" / "demo_park.geojson"
    slug = gridmgr(db_url, "area", "add", park, "--name", "Park").stdout.strip()
    gridmgr(db_url, "grid", slug, "--count", "30")
    before = active_plan_facts(db_url)
    # a re-grid into many cells, killed while it writes: the fault hook GRIDMGR_TEST_PAUSE_IN_WRITE
    # holds it inside its transaction after the first rows went in, so the kill lands mid-write
    env = {**os.environ, "GRIDMGR_TEST_PAUSE_IN_WRITE": str(tmp_path / "writing")}
    proc = subprocess.Popen(
        [*faulthooks.command(), "--db", db_url, "grid", slug, "--cell-size", "5"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.time() + 120
    while not (tmp_path / "writing").exists():
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.time() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    after = active_plan_facts(db_url)
    assert after == before
    # and the database still takes writes
    gridmgr(db_url, "grid", slug, "--count", "12")
    assert active_plan_facts(db_url)["cells"] == 12


@pytest.mark.parametrize("args", [["grid", "daoli", "--count", "3"], ["area", "list"]])
def test_uninitialised_database_is_named(tmp_path, args):
    done = gridmgr(f"sqlite:///{tmp_path / 'none.db'}", *args, check=False)
    assert done.returncode == 2 and "run 'gridmgr init' first" in done.stderr
