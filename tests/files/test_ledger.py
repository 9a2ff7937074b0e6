"""The ledger's files: XLSX (write-only openpyxl; the contract's headers; a summary sheet), CSV (UTF-8
with BOM, formula injection neutralised), GeoPackage points; read back with openpyxl, the csv module,
pyogrio and, where it is installed, LibreOffice."""

from __future__ import annotations

import csv
import shutil
import subprocess

import geopandas as gpd
import numpy as np
import pytest
from openpyxl import load_workbook

from gridmgr.files.ledger import (
    HEADERS,
    LEDGER_SHEET,
    FindingPoints,
    LedgerRow,
    write_findings_gpkg,
    write_ledger_csv,
    write_ledger_xlsx,
)

HOSTILE = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "=1+1"]


def rows() -> list[LedgerRow]:
    out = []
    for k, text in enumerate([*HOSTILE, "正常的问题描述\n第二行"]):
        out.append(
            LedgerRow(
                seq=k + 1, cell=f"HB-{k + 1:03d}", category="口罩佩戴", text=text,
                found_at="2026-11-24 10:00", found_by="张伟", mode="限期整改", unit="物业",
                person="=cmd|' /C calc'!A0", deadline="2026-11-30", progress="正在整改",
                status="整改中",
            )
        )  # fmt: skip
    return out


def test_xlsx_has_the_contracts_headers_and_no_formulas(tmp_path):
    path = tmp_path / "台账.xlsx"
    n = write_ledger_xlsx(
        rows(),
        [("发现问题", 6), ("整改率", 0.5), ("区域", "=evil()")],
        [("口罩佩戴", 6, 3, 0.5)],
        path,
    )
    assert n == 6
    wb = load_workbook(path)
    assert wb.sheetnames == ["整改台账", "汇总"]
    sheet = wb["整改台账"]
    got = [[c.value for c in r] for r in sheet.iter_rows()]
    assert tuple(got[0]) == HEADERS == (
        "序号", "网格编号", "问题类别", "问题描述", "发现时间", "发现人", "整改方式", "责任单位",
        "责任人", "整改时限", "整改情况", "状态",
    )  # fmt: skip
    assert [r[3] for r in got[1:]] == [*HOSTILE, "正常的问题描述\n第二行"]
    assert got[1][0] == 1 and isinstance(got[1][0], int)
    for r in sheet.iter_rows(min_row=2):
        for c in r:
            assert c.data_type != "f", (c.coordinate, c.value)  # text, never a formula
    summary = [[c.value for c in r] for r in wb["汇总"].iter_rows()]
    assert summary[0][:2] == ["发现问题", 6] and summary[2][:2] == ["区域", "=evil()"]
    assert all(c.data_type != "f" for r in wb["汇总"].iter_rows() for c in r)


def test_csv_has_a_bom_the_headers_and_neutralised_formulas(tmp_path):
    path = tmp_path / "台账.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        write_ledger_csv(rows(), f)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as f:
        got = list(csv.reader(f))
    assert tuple(got[0]) == HEADERS
    assert [r[3] for r in got[1:6]] == ["'" + t for t in HOSTILE]
    assert got[6][3] == "正常的问题描述\n第二行"
    assert all(r[8] == "'=cmd|' /C calc'!A0" for r in got[1:])
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in got[1:] for cell in r)


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice (soffice) is not installed")
def test_libreoffice_opens_both_and_computes_no_formula(tmp_path):
    """LibreOffice converts the XLSX and the CSV to CSV: the texts arrive as typed, nothing was
    evaluated (a formula would have become its result, 2)."""
    xlsx, text = tmp_path / "l.xlsx", tmp_path / "l.csv"
    write_ledger_xlsx(rows(), [("发现问题", 6)], [], xlsx)
    with text.open("w", encoding="utf-8", newline="") as f:
        write_ledger_csv(rows(), f)
    out = tmp_path / "out"
    for source in (xlsx, text):
        done = subprocess.run(
            ["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
             *(["--infilter=CSV:44,34,76,1"] if source.suffix == ".csv" else []),
             "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir",
             str(out / source.suffix[1:]), str(source)],
            capture_output=True, text=True, timeout=180,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        converted = next((out / source.suffix[1:]).glob("*.csv"))
        with converted.open(encoding="utf-8-sig", newline="") as f:
            got = list(csv.reader(f))
        assert got[0][:3] == ["序号", "网格编号", "问题类别"]
        texts = [r[3] for r in got[1:6]]
        assert "2" not in texts and all(t.lstrip("'") in HOSTILE for t in texts), texts


def test_geopackage_of_finding_points(tmp_path):
    points = FindingPoints(
        lon=np.array([120.1, 120.2]),
        lat=np.array([36.1, 36.2]),
        located=["point", "cell"],
        columns={"finding": [1, 2], "cell": ["HB-001", "HB-002"], "text": ["a", "b"]},
    )
    path = tmp_path / "f.gpkg"
    assert write_findings_gpkg(points, path) == 2
    back = gpd.read_file(path, layer="findings")
    assert back.crs.to_epsg() == 4326 and list(back["located"]) == ["point", "cell"]
    assert back.geometry.x.tolist() == [120.1, 120.2]


def test_a_workbook_that_cannot_be_written_names_the_file_and_leaves_what_was_there(tmp_path):
    """No folder: one clear error, no workbook writers left open (they would warn when collected).
    A file that was there stays as it was when a write fails, and is replaced whole when it works."""
    import gc

    from gridmgr.errors import InvalidInput

    missing = tmp_path / "no such folder" / "l.xlsx"
    with pytest.raises(InvalidInput, match=r"cannot write .*no such folder"):
        write_ledger_xlsx(rows(), [("发现问题", 6)], [], missing)
    gc.collect()  # an open writer would raise here, failing the test as an unraisable warning
    kept = tmp_path / "kept.xlsx"
    kept.write_bytes(b"earlier")

    def broken():
        yield from rows()
        raise OSError(28, "No space left on device")

    with pytest.raises(InvalidInput, match="No space left"):
        write_ledger_xlsx(broken(), [], [], kept)
    assert kept.read_bytes() == b"earlier" and [p.name for p in tmp_path.iterdir()] == ["kept.xlsx"]
    assert write_ledger_xlsx(rows(), [], [], kept) == len(list(rows()))
    assert load_workbook(kept).sheetnames[0] == LEDGER_SHEET
