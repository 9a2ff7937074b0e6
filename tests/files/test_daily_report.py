"""The daily report's workbook: three sheets with their Chinese headers, every row in order, text kept
as text (a leading = is no formula) and characters XLSX cannot hold replaced."""

from __future__ import annotations

import gc
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from gridmgr.errors import InvalidInput
from gridmgr.files.daily_report import (
    FINDING_HEADERS,
    FINDINGS_SHEET,
    HEADERS,
    REPORT_SHEET,
    WORST_HEADERS,
    WORST_SHEET,
    DailyRow,
    FindingLine,
    WorstLine,
    write_daily_xlsx,
)

text = st.text(max_size=20)
row = st.builds(
    DailyRow,
    area=text,
    cells=st.integers(0, 10_000),
    wardens=st.integers(0, 1000),
    coverage_ratio=st.floats(0, 1).map(lambda v: round(v, 4)),  # XLSX keeps 15 digits
    unstaffed=st.integers(0, 100),
    due=st.integers(0, 100),
    overdue=st.integers(0, 100),
    ok=st.integers(0, 100),
    rounds_expected=st.integers(0, 1000),
    rounds_done=st.integers(0, 1000),
    findings_open=st.integers(0, 100),
    findings_overdue=st.integers(0, 100),
    rectification_rate=st.none() | st.floats(0, 1).map(lambda v: round(v, 4)),
)
worst = st.builds(WorstLine, area=text, code=text, status=text, missed=st.integers(0, 9))
finding = st.builds(FindingLine, *([text] * 9))


def cell_text(value: str) -> str:
    """What a text cell must hold: control characters replaced, formulas quoted."""
    value = "".join("\ufffd" if ord(c) < 32 and c not in "\t\n\r" else c for c in value)
    return "'" + value if value.startswith(("=", "+", "-", "@")) else value


def read(data: bytes) -> dict[str, list[tuple]]:
    """Each sheet's rows, padded with None to the sheet's widest (empty trailing cells are not stored)."""
    wb = load_workbook(io.BytesIO(data), read_only=True)
    sheets = {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    for title, rows in sheets.items():
        width = max(map(len, rows), default=0)
        sheets[title] = [r + (None,) * (width - len(r)) for r in rows]
    return sheets


@settings(max_examples=25, deadline=None)
@given(
    title=text,
    rows=st.lists(row, max_size=4),
    worst_lines=st.lists(worst, max_size=4),
    findings=st.lists(finding, max_size=4),
)
def test_every_row_is_written_under_its_headers(title, rows, worst_lines, findings):
    out = io.BytesIO()
    write_daily_xlsx(title, rows, worst_lines, findings, out)
    sheets = read(out.getvalue())
    assert list(sheets) == [REPORT_SHEET, WORST_SHEET, FINDINGS_SHEET]
    report = sheets[REPORT_SHEET]
    assert report[0][0] == (cell_text(title) or None) and report[1] == HEADERS
    assert len(report) == 2 + len(rows)
    for got, want in zip(report[2:], rows, strict=True):
        assert got[0] == (cell_text(want.area) or None) and got[1 : len(want)] == tuple(want)[1:]
    assert sheets[WORST_SHEET][0] == WORST_HEADERS
    assert [r[0] for r in sheets[WORST_SHEET][1:]] == list(range(1, len(worst_lines) + 1))
    assert [r[4] for r in sheets[WORST_SHEET][1:]] == [w.missed for w in worst_lines]
    assert sheets[FINDINGS_SHEET][0] == FINDING_HEADERS
    for got, want in zip(sheets[FINDINGS_SHEET][1:], findings, strict=True):
        assert got[1 : 1 + len(want)] == tuple(cell_text(v) or None for v in want)


def test_formulas_are_written_as_text():
    out = io.BytesIO()
    bad = FindingLine('=HYPERLINK("x")', "@cmd", "+1", "-1", "a\x01b", "", "", "", "")
    write_daily_xlsx("=1+1", [], [], [bad], out)
    sheets = read(out.getvalue())
    assert sheets[REPORT_SHEET][0][0] == "'=1+1"
    assert sheets[FINDINGS_SHEET][1][1:6] == (
        '\'=HYPERLINK("x")',
        "'@cmd",
        "'+1",
        "'-1",
        "a\ufffdb",
    )


def test_a_path_is_written_and_an_unwritable_one_refused(tmp_path):
    """Refused cleanly: no sheet writer is left open to complain when it is collected (warnings are
    errors in the suite, so this test failed before the file was opened first)."""
    write_daily_xlsx("t", [], [], [], tmp_path / "r.xlsx")
    assert read((tmp_path / "r.xlsx").read_bytes())[REPORT_SHEET][0][0] == "t"
    with pytest.raises(InvalidInput, match=r"cannot write .*folder\.xlsx"):
        write_daily_xlsx("t", [], [], [], tmp_path / "no" / "such" / "folder.xlsx")
    gc.collect()
