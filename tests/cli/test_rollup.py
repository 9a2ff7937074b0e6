"""`gridmgr rollup AREA [--at ISO] [--json]` as a user types it, on SQLite and PostGIS."""

from __future__ import annotations

import json
import random

from treetools import AT, seed_tree

from gridmgr.services.rollup import rollup
from gridmgr.web.api.rollup_json import rollup_to_json


def test_rollup_prints_the_children_and_the_total(engine, run):
    tree = seed_tree(engine, [None, 0, 0, 1], random.Random(4), names=["道里区", "新阳路街道", "经纬街道", "建国社区"], gridded=1.0)  # fmt: skip
    text = run("rollup", tree.slugs[0], "--at", AT)
    lines = text.splitlines()
    assert lines[0].startswith(f"道里区 ({tree.slugs[0]}) at 2026-11-20T15:00+08:00")
    assert lines[1].split()[:3] == ["area", "cells", "wardens"]
    assert [ln.split()[0] for ln in lines[2:]] == [tree.slugs[1], tree.slugs[2], "total"]
    doc = json.loads(run("rollup", tree.slugs[0], "--at", AT, "--json"))
    total = lines[-1].split()
    assert total[1] == f"{doc['total']['cells']:,}" and total[2] == f"{doc['total']['wardens']:,}"
    assert doc == json.loads(json.dumps(rollup_to_json(rollup(engine, tree.slugs[0], at=AT))))
    leaf = json.loads(run("rollup", tree.slugs[3], "--json"))
    assert leaf["children"] == [] and leaf["total"]["slug"] == tree.slugs[3]


def test_rollup_of_an_unknown_area_or_a_bad_moment_is_exit_2(engine, run):
    seed_tree(engine, [None], random.Random(1), gridded=1.0)
    assert "nowhere" in run.fails("rollup", "nowhere")
    assert "ISO time" in run.fails("rollup", "t0", "--at", "yesterday")


def test_report_prints_the_day_or_writes_the_xlsx(engine, run, tmp_path):
    tree = seed_tree(engine, [None, 0, 0], random.Random(2), names=["道里区", "新阳路街道", "经纬街道"], gridded=1.0)  # fmt: skip
    text = run("report", tree.slugs[0], "--day", "2026-11-20")
    assert text.startswith("daily report 2026-11-20\n道里区")
    assert "open findings:" in text
    out = tmp_path / "日报.xlsx"
    said = run("report", tree.slugs[0], "--day", "2026-11-20", "-o", out)
    assert said.strip() == f"wrote the daily report of {tree.slugs[0]} for 2026-11-20 to {out}"
    assert out.stat().st_size > 0
    assert "has not begun" in run.fails("report", tree.slugs[0], "--day", "2999-01-01")
    assert ".xlsx" in run.fails("report", tree.slugs[0], "-o", tmp_path / "x.csv")
