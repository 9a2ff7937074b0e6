"""The roll-up as text: one line per child and the total, in columns."""

from __future__ import annotations

from gridmgr.services.daily_report import DailyReport
from gridmgr.services.rollup import Rollup, RollupRow

HEADERS = ("area", "cells", "wardens", "coverage", "unstaffed", "due", "overdue", "ok",
           "rounds", "open", "overdue findings", "rectified")  # fmt: skip


def _cells(row: RollupRow, label: str) -> list[str]:
    rate = "-" if row.rectification_rate is None else f"{row.rectification_rate:.1%}"
    return [
        label,
        f"{row.cells:,}",
        f"{row.wardens:,}",
        f"{row.coverage_ratio:.1%}",
        f"{row.unstaffed:,}",
        f"{row.due:,}",
        f"{row.overdue:,}",
        f"{row.ok:,}",
        f"{row.rounds_done_today:,}/{row.rounds_expected_today:,}",
        f"{row.findings_open:,}",
        f"{row.findings_overdue:,}",
        rate,
    ]


def rollup_text(r: Rollup) -> str:
    """A table of the children (slug and name) and the total of the area."""
    lines = [f"{r.name} ({r.area}) at {r.at.isoformat(timespec='minutes')}"]
    rows = [_cells(c, f"{c.slug} {c.name}") for c in r.children]
    rows.append(_cells(r.total, "total"))
    table = [list(HEADERS), *rows]
    widths = [max(_width(row[k]) for row in table) for k in range(len(HEADERS))]

    def line(cells: list[str]) -> str:
        first = cells[0] + " " * (widths[0] - _width(cells[0]))
        rest = [c.rjust(w - _width(c) + len(c)) for c, w in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest]).rstrip()

    lines.append(line(table[0]))
    if r.children:
        lines += [line(row) for row in table[1:-1]]
    lines.append(line(table[-1]))
    return "\n".join(lines)


def _width(text: str) -> int:
    """Columns the text takes in a terminal: CJK characters take two."""
    return sum(2 if "\u2e80" <= ch <= "\ua4cf" or "\uac00" <= ch <= "\uffdc" else 1 for ch in text)


def daily_text(report: DailyReport) -> str:
    """The daily report: the roll-up table, the cells most behind, the open findings."""
    lines = [f"daily report {report.day.isoformat()}", rollup_text(report.rollup), ""]
    if report.worst:
        lines.append("cells most behind:")
        lines += [f"  {w.area_name} {w.code}  {w.status}, {w.missed} missed" for w in report.worst]
    else:
        lines.append("no cell behind")
    overdue = sum(f.overdue for f in report.findings)
    lines.append(f"open findings: {len(report.findings)} ({overdue} overdue)")
    lines += [
        f"  {f.area_name} {f.cell}  {f.category}: {f.text[:40]}"
        f"{'  deadline ' + f.deadline if f.deadline else ''}{'  OVERDUE' if f.overdue else ''}"
        for f in report.findings[:20]
    ]
    return "\n".join(lines)
