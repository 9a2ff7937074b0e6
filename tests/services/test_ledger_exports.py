"""The ledger exported: the XLSX summary sheet names the chain of responsibility; the findings as
GeoPackage points (SQLite and PostGIS)."""

from __future__ import annotations

import random

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
