"""The daily report on SQLite and PostGIS: its rows are the roll-up at the end of the day, its worst
cells the coverage report's, its findings those not closed; the XLSX has the Chinese headers."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from treetools import seed_tree

from gridmgr.errors import InvalidInput
from gridmgr.files.daily_report import FINDING_HEADERS, HEADERS, WORST_HEADERS
from gridmgr.services.coverage import coverage_report
from gridmgr.services.daily_report import daily_report, daily_rows, export_daily_report
from gridmgr.services.rollup import rollup

DAY = "2026-11-20"
END = "2026-11-20T23:59:59"
NOW = datetime(2026, 11, 25, tzinfo=UTC)


@pytest.fixture
def tree(engine):
    names = ["道里区", "新阳路街道", "经纬街道", "建国社区", "友谊社区", "安静社区"]
    return seed_tree(engine, [None, 0, 0, 1, 1, 2], random.Random(13), names=names, gridded=1.0)


def test_the_rows_are_the_rollup_at_the_end_of_the_day(engine, tree):
    report = daily_report(engine, tree.slugs[0], DAY, now=NOW)
    assert report.rollup == rollup(engine, tree.slugs[0], at=END, worst=20)
    rows = daily_rows(report)
    assert [r.area for r in rows] == ["新阳路街道", "经纬街道", "合计"]
    assert rows[-1].cells == sum(r.cells for r in rows[:-1])
    assert rows[-1].rounds_done == sum(r.rounds_done for r in rows[:-1])


def test_the_worst_cells_of_a_leaf_are_the_coverage_reports(engine, tree):
    for slug in (tree.slugs[3], tree.slugs[5]):
        mine = rollup(engine, slug, at=END, worst=10).worst
        theirs = coverage_report(engine, slug, at=END).worst
        assert {(w.code, w.status, w.missed) for w in mine} == {
            (b.code, b.status, b.missed) for b in theirs
        }
    everywhere = rollup(engine, tree.slugs[0], at=END, worst=10**6).worst
    ranks = [(w.status == "overdue", w.missed) for w in everywhere]
    assert ranks == sorted(ranks, reverse=True)  # overdue first, then most missed
    leaves = [3, 4, 5]
    assert len(everywhere) == sum(
        len(coverage_report(engine, tree.slugs[i], at=END).due)
        + len(coverage_report(engine, tree.slugs[i], at=END).overdue)
        for i in leaves
    )


def test_open_findings_are_listed_overdue_first(engine, tree):
    report = daily_report(engine, tree.slugs[0], DAY, now=NOW)
    assert report.findings, "the seed made open findings"
    assert all(f.status in ("open", "fixed") for f in report.findings)
    flags = [f.overdue for f in report.findings]
    assert flags == sorted(flags, reverse=True)
    assert sum(f.status == "open" for f in report.findings) == report.rollup.total.findings_open


def test_a_day_to_come_or_a_bad_day_is_refused(engine, tree):
    with pytest.raises(InvalidInput, match="has not begun"):
        daily_report(engine, tree.slugs[0], "2026-11-26", now=NOW)
    with pytest.raises(InvalidInput, match="YYYY-MM-DD"):
        daily_report(engine, tree.slugs[0], "20 November", now=NOW)


def test_the_xlsx_has_the_chinese_headers_and_every_row(engine, tree, tmp_path):
    out = tmp_path / "日报.xlsx"
    report = export_daily_report(engine, tree.slugs[0], DAY, out)
    wb = load_workbook(out, read_only=True)
    assert wb.sheetnames == ["日报", "落后网格", "待整改问题"]
    sheet = list(wb["日报"].values)
    assert sheet[0][0] == f"道里区 日报 {DAY}"
    assert tuple(sheet[1]) == HEADERS
    assert [r[0] for r in sheet[2:]] == ["新阳路街道", "经纬街道", "合计"]
    assert sheet[-1][1] == report.rollup.total.cells
    worst = list(wb["落后网格"].values)
    assert tuple(worst[0]) == WORST_HEADERS and len(worst) == len(report.worst) + 1
    found = list(wb["待整改问题"].values)
    assert tuple(found[0]) == FINDING_HEADERS and len(found) == len(report.findings) + 1
