"""`gridmgr category|finding|ledger` as a user types them: the seeds' figures, exports, errors."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from datetime import date, timedelta

import pytest

from conftest import GEODATA, ROOT

SOON = (date.today() + timedelta(days=10)).isoformat()


def gridmgr(db_url: str, *args: str) -> subprocess.CompletedProcess:
    """The real command in its own process."""
    exe = shutil.which("gridmgr")
    cmd = [exe] if exe else [sys.executable, "-m", "gridmgr"]
    env = {**os.environ, "GRIDMGR_DATABASE_URL": db_url}
    return subprocess.run(
        [*cmd, *map(str, args)], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120
    )


@pytest.fixture
def area(run):
    """A park of 10 cells and a warden, made through the command line (in this process)."""
    slug = run("area", "add", GEODATA / "demo_park.geojson", "--name", "Harbin sweep").strip()
    run("grid", slug, "--count", "10")
    run("warden", "add", "张伟")
    codes = [f"{slug.upper()}-{k:03d}" for k in range(1, 11)]
    return slug, codes, run


def test_the_harbin_sweep_through_the_command_line(area, db_url, tmp_path):
    """44 problems in ten categories: 39 fixed on the spot, 5 with deadlines: found 44, rectified
    39, rate 0.886; the five fixed and closed: 1.0."""
    slug, codes, run = area
    cats = [c["key"] for c in json.loads(run("category", "list", "--json"))]
    assert len(cats) == 10 and set(json.loads(run("category", "list", "--json"))[0]) == {
        "key", "name_en", "name_zh",
    }  # fmt: skip
    later = []
    for k in range(44):
        plan = (
            ["--fixed-now", "--note", "当场整改"]
            if k < 39
            else ["--deadline", SOON, "--unit", "物业公司", "--person", "张伟"]
        )
        out = run("finding", "add", slug, codes[k % 10], "--category", cats[k % 10],
                  "--text", f"问题 {k}", "--by", "张伟", *plan)  # fmt: skip
        assert out.strip().isdigit()
        later.append(int(out))
    figures = json.loads(run("ledger", slug, "--json"))
    assert (figures["found"], figures["fixed_on_spot"], figures["with_deadline"]) == (44, 39, 5)
    assert (figures["rectified"], figures["rate"]) == (39, 0.886)
    assert {c["category"] for c in figures["by_category"] if c["found"]} == set(cats)
    assert set(figures["by_category"][0]) >= {"category", "found", "rectified"}
    assert sum(c["found"] for c in figures["by_cell"]) == 44
    open_ = json.loads(run("finding", "list", slug, "--status", "open", "--json"))
    assert sorted(f["id"] for f in open_) == later[39:]
    for fid in later[39:]:
        assert "is fixed" in run("finding", "fix", fid, "--note", "已清理")
        assert "is closed" in run("finding", "close", fid)
    assert json.loads(run("ledger", slug, "--json"))["rate"] == 1.0
    # the real process, as a user runs it
    done = gridmgr(db_url, "ledger", slug, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["found"] == 44
    out = tmp_path / "台账.csv"
    done = gridmgr(db_url, "ledger", slug, "-o", out)
    assert done.returncode == 0 and "wrote 44 findings" in done.stdout
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][:3] == ["序号", "网格编号", "问题类别"] and len(rows) == 45


def test_extend_reopen_and_the_errors_users_meet(area, db_url):
    slug, codes, run = area
    fid = int(run("finding", "add", slug, codes[0], "--category", "垃圾清运", "--text", "垃圾",
                  "--deadline", SOON, "--unit", "物业", "--person", "张伟"))  # fmt: skip
    later = (date.fromisoformat(SOON) + timedelta(days=3)).isoformat()
    assert f"deadline {later}" in run(
        "finding", "extend", fid, "--deadline", later, "--reason", "雨"
    )
    shown = json.loads(run("finding", "show", fid, "--json"))
    assert [e["action"] for e in shown["events"]] == ["recorded", "extended"]
    for args, words in [
        (["finding", "add", slug, codes[0], "--category", "fireworks", "--text", "x", "--fixed-now"],
         ["unknown category 'fireworks'", "masks (Masks, 口罩佩戴)"]),
        (["finding", "add", slug, "NOPE-1", "--category", "masks", "--text", "x", "--fixed-now"],
         ["has no cell 'NOPE-1'"]),
        (["finding", "add", slug, codes[0], "--category", "masks", "--text", "x"],
         ["one of the arguments --fixed-now --deadline is required"]),
        (["finding", "add", slug, codes[0], "--category", "masks", "--text", "x", "--fixed-now",
          "--photo", "no-such.jpg"], ["no-such.jpg: no such file"]),
        (["finding", "reopen", str(fid)], ["a finding that is open cannot be reopened"]),
        (["finding", "close", "999999"], ["no finding 999999"]),
        (["ledger", slug, "-o", "ledger.pdf"], ["write the ledger as .xlsx or .csv"]),
        (["ledger", slug, "--from", "2026-02-30"], ["not a date written YYYY-MM-DD"]),
    ]:  # fmt: skip
        line = run.fails(*args).strip()
        assert line.startswith("gridmgr: error: ") and "\n" not in line and "Traceback" not in line
        for word in words:
            assert word in line, (word, line)
    done = gridmgr(db_url, "finding", "close", "999999")  # the real process: one line, exit 2
    assert done.returncode == 2 and done.stderr.strip() == "gridmgr: error: no finding 999999"
    assert "changes nothing" not in run("category", "add", "masks", "Fire exits=消防通道")
    assert len(json.loads(run("category", "list", "--json"))) == 11
