"""The ledger exported: the XLSX summary sheet names the chain of responsibility; the findings as
GeoPackage points (SQLite and PostGIS)."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import numpy as np
import pytest
from sqlalchemy import select
from treetools import seed_tree


def test_the_summary_sheet_names_the_chain_of_responsibility(engine, tmp_path):
    """Issue 15: leaders in the ledger's responsible units."""
    from openpyxl import load_workbook

    from gridmgr.services.leaders import set_leaders
    from gridmgr.services.ledger_exports import export_ledger

    tree = seed_tree(engine, [None, 0, 0, 1, 2], random.Random(8), gridded=1.0)
    set_leaders(engine, tree.slugs[0], leader="王伟", leader_phone="139", deputy="李娜")
    set_leaders(engine, tree.slugs[2], leader="张强")
    out = tmp_path / "ledger.xlsx"
    export_ledger(engine, tree.slugs[0], out)
    facts = {
        row[0]: row[1] for row in load_workbook(out)["汇总"].iter_rows(values_only=True) if row
    }
    assert facts["负责人"] == "王伟 139" and facts["副职"] == "李娜"
    names = {tree.slugs[i]: f"T{i}" for i in range(len(tree.slugs))}
    assert facts[f"责任单位：{names[tree.slugs[2]]}"] == "张强"
    assert not any(
        str(k).startswith("责任单位：") and k != f"责任单位：{names[tree.slugs[2]]}" for k in facts
    )


def bulk_findings(engine, slug: str, n: int, rng: np.random.Generator) -> None:
    """n findings written in bulk over the area's cells: ties on the moment found, every state and
    mode, some recorded in error, deadlines past and future, notes, texts a sheet takes for formulas."""
    from gridmgr.db.models import Cell, Finding, GridPlan
    from gridmgr.db.queries import get_area
    from gridmgr.db.store import bulk_insert, reading, transaction

    with reading(engine) as s:
        area_id = get_area(s, slug).id
        cells = s.execute(
            select(Cell.id, Cell.code).join(GridPlan).where(GridPlan.area_id == area_id)
        ).all()
    base = int(datetime(2026, 3, 1, tzinfo=UTC).timestamp())
    status = rng.choice(["open", "fixed", "closed"], n)
    mode = rng.choice(["on_spot", "deadline"], n)
    rows = []
    for k in range(n):
        cid, code = cells[int(rng.integers(len(cells)))]
        closed = status[k] == "closed"
        rows.append({
            "area_id": area_id, "cell_id": cid, "cell_code": code,
            "category_id": int(1 + rng.integers(10)), "text": rng.choice(["问题", "=1+1", "-x", "ok"]),
            "found_by": f"w{k % 7}", "found_at_s": base + int(rng.integers(n // 3)) * 3600,
            "received_at_s": base, "mode": str(mode[k]),
            "deadline": None if mode[k] == "on_spot" else rng.choice(["2026-03-10", "2099-01-01"]),
            "unit": None if mode[k] == "on_spot" else "物业", "person": "张三" if k % 3 else None,
            "status": str(status[k]),
            "closed_as": rng.choice(["rectified", "error"], p=[0.8, 0.2]) if closed else None,
            "note": "当场整改" if k % 4 == 0 else None,
            "fixed_at_s": base + 86400 if status[k] != "open" else None,
            "closed_at_s": base + 2 * 86400 if closed else None,
        })  # fmt: skip
    with transaction(engine) as s:
        bulk_insert(s, Finding, rows)


@pytest.mark.parametrize("seed", [1, 2])
def test_the_streamed_ledger_lines_are_the_same_whatever_the_chunk(engine, park, seed, monkeypatch):
    """The lines are read LEDGER_CHUNK at a time: any chunk size gives the same lines, numbered
    1..n in the order found (ties by id), one per finding in the period."""
    from gridmgr.db.models import Finding
    from gridmgr.db.store import reading
    from gridmgr.services import ledger_exports

    bulk_findings(engine, park, 257, np.random.default_rng(seed))
    lines = {}
    for chunk in (1, 7, 256, 257, 10_000):
        monkeypatch.setattr(ledger_exports, "LEDGER_CHUNK", chunk)
        lines[chunk] = list(ledger_exports.ledger_lines(engine, park))
        part = list(
            ledger_exports.ledger_lines(engine, park, date_from="2026-03-02", date_to="2026-03-03")
        )
        lines[-chunk] = part
    assert all(lines[k] == lines[1] for k in lines if k > 0)
    assert all(lines[k] == lines[-1] for k in lines if k < 0)
    with reading(engine) as s:
        found = s.execute(select(Finding.text).order_by(Finding.found_at_s, Finding.id)).all()
    assert [line.seq for line in lines[1]] == list(range(1, len(found) + 1))
    assert [line.text for line in lines[1]] == [r.text for r in found]
    assert 0 < len(lines[-1]) < len(found)
    assert [line.seq for line in lines[-1]] == list(range(1, len(lines[-1]) + 1))
    statuses = {line.status for line in lines[1]}
    assert {"整改中", "已逾期", "待核实", "已整改", "误报"} <= statuses


def test_the_xlsx_and_csv_hold_the_streamed_lines(engine, park, tmp_path, monkeypatch):
    """Written from lines read 5 at a time: every line in the sheet and the CSV, formulas as text."""
    import csv

    from openpyxl import load_workbook

    from gridmgr.files.ledger import HEADERS
    from gridmgr.services import ledger_exports

    bulk_findings(engine, park, 60, np.random.default_rng(9))
    monkeypatch.setattr(ledger_exports, "LEDGER_CHUNK", 5)
    want = [tuple(line) for line in ledger_exports.ledger_lines(engine, park)]
    done = ledger_exports.export_ledger(engine, park, tmp_path / "l.xlsx")
    sheet = load_workbook(done.path)["整改台账"]
    rows = list(sheet.iter_rows(values_only=True))
    assert done.rows == len(want) == 60 and rows[0] == HEADERS
    assert [tuple("" if v is None else v for v in r) for r in rows[1:]] == want
    ledger_exports.export_ledger(engine, park, tmp_path / "l.csv")
    with (tmp_path / "l.csv").open(encoding="utf-8-sig", newline="") as fh:
        back = list(csv.reader(fh))
    neutral = [[("'" + v if v.startswith(("=", "-")) else v) for v in map(str, r)] for r in want]
    assert back[1:] == neutral
