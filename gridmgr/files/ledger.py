"""Writing the rectification ledger (整改台账): XLSX (openpyxl in write-only mode: the ledger sheet with
the contract's Chinese headers and a summary sheet), CSV (UTF-8 with a BOM for Excel, formula
injection neutralised) and a GeoPackage of the findings' points. Pure file writing from typed rows.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, NamedTuple

import geopandas as gpd
import numpy as np
import shapely

from gridmgr.errors import InvalidInput

# the ledger sheet's columns (DESIGN.md, "Findings and the rectification ledger"), in order
HEADERS = (
    "序号",
    "网格编号",
    "问题类别",
    "问题描述",
    "发现时间",
    "发现人",
    "整改方式",
    "责任单位",
    "责任人",
    "整改时限",
    "整改情况",
    "状态",
)
LEDGER_SHEET = "整改台账"
SUMMARY_SHEET = "汇总"
FORMATS = ("xlsx", "csv")
# a spreadsheet reads a cell that starts with one of these as a formula (OWASP's CSV injection list)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# characters no XLSX cell may hold (openpyxl refuses them)
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class LedgerRow(NamedTuple):
    """One finding as a ledger line, every field already in the words the sheet shows (a tuple:
    100,000 of them go to the sheet without copying)."""

    seq: int
    cell: str
    category: str
    text: str
    found_at: str
    found_by: str
    mode: str
    unit: str
    person: str
    deadline: str
    progress: str
    status: str


assert len(LedgerRow._fields) == len(HEADERS)


def neutralised(value: object) -> object:
    """Text a spreadsheet would run as a formula (=, +, -, @ first) made inert with a leading
    apostrophe; numbers and other text unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def write_ledger_csv(rows: Iterable[LedgerRow], out: IO[str]) -> int:
    """The ledger as CSV with the Chinese headers into a text stream (opened with newline=""), a BOM
    first so Excel reads it as UTF-8; returns the number of rows."""
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADERS)
    n = 0
    for row in rows:
        writer.writerow([neutralised(v) for v in row])
        n += 1
    return n


def write_ledger_xlsx(
    rows: Iterable[LedgerRow],
    summary: Sequence[tuple[str, object]],
    by_category: Sequence[tuple[str, int, int, float | None]],
    out: str | Path | IO[bytes],
) -> int:
    """The ledger as an XLSX workbook: the ledger sheet (Chinese headers, one row per finding) and a
    summary sheet (the figures, then found and rectified per category). Written in openpyxl's
    write-only mode, so memory stays flat however many rows; text is always stored as text, never
    as a formula. Returns the number of ledger rows."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    if isinstance(out, str | Path):  # a file: written whole beside it, then put in its place
        return _written_whole(
            Path(out), lambda fh: write_ledger_xlsx(rows, summary, by_category, fh)
        )
    wb = Workbook(write_only=True)
    sheet = wb.create_sheet(LEDGER_SHEET)
    sheet.freeze_panes = "A2"
    for col, width in zip(
        "ABCDEFGHIJKL", (6, 18, 12, 48, 17, 12, 10, 18, 10, 12, 40, 8), strict=True
    ):
        sheet.column_dimensions[col].width = width
    sheet.append(HEADERS)

    def text_cell(value: str) -> object:
        value = _XLSX_ILLEGAL.sub("\ufffd", value)
        if not value.startswith("="):
            return value
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # openpyxl takes "=..." for a formula: keep it as the text typed
        return cell

    n = 0
    try:
        for row in rows:
            sheet.append([v if isinstance(v, int) else text_cell(v) for v in row])
            n += 1
    except BaseException:  # the rows failed (a database error mid-way): close the sheet's writer
        with contextlib.suppress(Exception):
            sheet.close()
        raise
    summary_sheet = wb.create_sheet(SUMMARY_SHEET)
    summary_sheet.column_dimensions["A"].width = 18
    summary_sheet.column_dimensions["B"].width = 24
    for label, value in summary:
        summary_sheet.append([label, text_cell(value) if isinstance(value, str) else value])
    summary_sheet.append([])
    summary_sheet.append(["问题类别", "发现问题", "已整改", "整改率"])
    for name, found, rectified, rate in by_category:
        summary_sheet.append([text_cell(name), found, rectified, rate])
    wb.save(out)
    return n


def _written_whole(path: Path, write: Callable[[IO[bytes]], int]) -> int:
    """`write` into a new file beside `path`, then that file renamed to `path`: a failed write
    leaves what was there (and no half-written file, no workbook writers left open)."""
    try:
        fh = tempfile.NamedTemporaryFile(  # noqa: SIM115  (closed by the `with fh` below)
            "wb", dir=path.parent, prefix=f".{path.name}.", delete=False
        )
    except OSError as exc:
        raise InvalidInput(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with fh:
            n = write(fh)
        os.replace(fh.name, path)
    except OSError as exc:
        raise InvalidInput(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        Path(fh.name).unlink(missing_ok=True)
    return n


def ledger_csv_bytes(rows: Iterable[LedgerRow]) -> bytes:
    """The CSV ledger as bytes (UTF-8 with BOM), for a download."""
    text = io.StringIO(newline="")
    write_ledger_csv(rows, text)
    return text.getvalue().encode("utf-8")


@dataclass(frozen=True)
class FindingPoints:
    """Findings as points for a GeoPackage: where each was found (its point, else its cell's inside
    point), with the ledger's fields."""

    lon: np.ndarray
    lat: np.ndarray
    located: list[str]  # "point" (given when recorded) or "cell" (the cell's inside point)
    columns: Mapping[str, Sequence[object]]


def write_findings_gpkg(points: FindingPoints, path: str | Path) -> int:
    """The findings as a GeoPackage point layer `findings` (EPSG:4326); returns how many."""
    path = Path(path)
    geometry = shapely.points(np.asarray(points.lon, float), np.asarray(points.lat, float))
    frame = gpd.GeoDataFrame(
        {**points.columns, "located": points.located}, geometry=geometry, crs="EPSG:4326"
    )
    if path.exists():
        path.unlink()
    try:
        frame.to_file(path, driver="GPKG", layer="findings", engine="pyogrio")
    except OSError as exc:
        raise InvalidInput(f"cannot write {path}: {exc.strerror or exc}") from None
    return len(frame)
