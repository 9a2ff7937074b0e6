"""The daily report (日报) as an XLSX workbook with Chinese headers: the figures per child area and
their total, the cells most behind, and the findings still open."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import IO, NamedTuple

from gridmgr.errors import InvalidInput

REPORT_SHEET = "日报"
WORST_SHEET = "落后网格"
FINDINGS_SHEET = "待整改问题"
HEADERS = ("区域", "网格数", "网格员", "覆盖率", "无人值守网格", "待巡网格", "超时网格", "正常网格",
           "今日应巡", "今日已巡", "待整改问题", "逾期问题", "整改率")  # fmt: skip
WORST_HEADERS = ("序号", "区域", "网格编号", "状态", "漏巡次数")
FINDING_HEADERS = ("序号", "区域", "网格编号", "问题类别", "问题描述", "发现时间", "责任单位",
                   "责任人", "整改时限", "是否逾期")  # fmt: skip
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class DailyRow(NamedTuple):
    """One area's figures of the day."""

    area: str
    cells: int
    wardens: int
    coverage_ratio: float
    unstaffed: int
    due: int
    overdue: int
    ok: int
    rounds_expected: int
    rounds_done: int
    findings_open: int
    findings_overdue: int
    rectification_rate: float | None


class WorstLine(NamedTuple):
    """A cell most behind."""

    area: str
    code: str
    status: str
    missed: int


class FindingLine(NamedTuple):
    """An open finding."""

    area: str
    cell: str
    category: str
    text: str
    found_at: str
    unit: str
    person: str
    deadline: str
    overdue: str


assert len(DailyRow._fields) == len(HEADERS)


def _text(value: object) -> object:
    """Text kept as text (never a formula), without characters XLSX cannot hold."""
    if not isinstance(value, str):
        return value
    value = _XLSX_ILLEGAL.sub("\ufffd", value)
    return "'" + value if value.startswith(("=", "+", "-", "@")) else value


def write_daily_xlsx(
    title: str,
    rows: Sequence[DailyRow],
    worst: Sequence[WorstLine],
    findings: Sequence[FindingLine],
    out: str | Path | IO[bytes],
) -> None:
    """The workbook: the report sheet (a title line, the headers, a row per area, the total last),
    the worst cells and the open findings, each with its Chinese headers."""
    from openpyxl import Workbook

    if isinstance(out, str | Path):  # opened first: a failed save leaves the sheets' writers open
        try:
            with open(out, "wb") as fh:
                write_daily_xlsx(title, rows, worst, findings, fh)
        except OSError as exc:
            raise InvalidInput(f"cannot write {out}: {exc.strerror or exc}") from None
        return
    wb = Workbook(write_only=True)
    sheet = wb.create_sheet(REPORT_SHEET)
    sheet.append([_text(title)])
    sheet.append(HEADERS)
    for row in rows:
        sheet.append([_text(v) for v in row])
    behind = wb.create_sheet(WORST_SHEET)
    behind.append(WORST_HEADERS)
    for k, w in enumerate(worst, 1):
        behind.append([k, *(_text(v) for v in w)])
    open_ = wb.create_sheet(FINDINGS_SHEET)
    open_.append(FINDING_HEADERS)
    for k, f in enumerate(findings, 1):
        open_.append([k, *(_text(v) for v in f)])
    try:
        wb.save(out)
    except OSError as exc:
        raise InvalidInput(f"cannot write {out}: {exc.strerror or exc}") from None
