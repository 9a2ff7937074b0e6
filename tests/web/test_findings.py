"""The findings pages on SQLite and PostGIS: the warden reports a problem with a photo and a fix from
/me; the manager sees figures, filters, pages and acts on the ledger page, and downloads the exports;
the coverage map carries the findings layer; both languages."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from PIL import Image

from webtools import csrf_of, login, seed_park

SOON = (date.today() + timedelta(days=7)).isoformat()
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}


@pytest.fixture
def site(engine, app_factory, tmp_path):
    park = seed_park(engine, tmp_path)
    app = app_factory()
    return app, park


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 100, 0)).save(out, format="JPEG")
    return out.getvalue()


def client_of(app, username: str, zh: bool = False):
    client = app.test_client()
    if zh:
        client.environ_base.update(ZH)
    assert login(client, username).status_code == 302
    return client


def test_a_warden_reports_with_a_photo_then_the_manager_closes_it_from_the_ledger(site):
    app, park = site
    warden = client_of(app, "warden1", zh=True)
    page = warden.get("/me").get_data(as_text=True)
    assert "上报问题" in page and 'capture="environment"' in page and "没有待整改的问题" in page
    got = warden.post(
        f"/me/cells/{park.slug}/{park.codes[0]}/findings",
        data={
            "csrf_token": csrf_of(warden, "/me"), "category": "waste", "text": "垃圾桶满溢",
            "plan": "deadline", "deadline": SOON, "unit": "物业公司", "person": "warden1",
            "photo": (io.BytesIO(jpeg()), "IMG_0001.jpg"), "key": "form-1",
        },
        content_type="multipart/form-data",
    )  # fmt: skip
    assert got.status_code == 303, got.get_data(as_text=True)[:500]
    page = warden.get(got.headers["Location"]).get_data(as_text=True)
    assert "已在" in page and "垃圾桶满溢" in page and "上报整改完成" in page
    fid = int(re.search(r'data-finding="(\d+)"', page).group(1))
    manager = client_of(app, "manager", zh=True)
    ledger = manager.get(f"/areas/{park.slug}/findings").get_data(as_text=True)
    assert "整改台账" in ledger and "垃圾桶满溢" in ledger and "/api/v1/photos/" in ledger
    assert re.search(r'data-figure="found">1<', ledger) and 'data-figure="rate">0.0%' in ledger
    assert "限期整改" in ledger and "核实销号" in ledger
    got = manager.post(
        f"/findings/{fid}/close",
        data={"csrf_token": csrf_of(manager, "/areas"), "note": "现场核实",
              "next": f"/areas/{park.slug}/findings"},
    )  # fmt: skip
    assert got.status_code == 303 and got.headers["Location"] == f"/areas/{park.slug}/findings"
    after = manager.get(got.headers["Location"]).get_data(as_text=True)
    assert 'data-figure="rectified">1<' in after and 'data-figure="rate">100.0%' in after
    assert "没有待整改的问题" in warden.get("/me").get_data(as_text=True)


def test_the_responsible_warden_reports_a_fix_with_a_photo(site, engine):
    from gridmgr.services import findings as f

    app, park = site
    made, _ = f.record_finding(
        engine, park.slug, park.codes[1],
        f.NewFinding(category="signage", text="标识缺失", deadline=SOON, unit="社区", person="warden1"),
        f.Actor("manager", "manager"),
    )  # fmt: skip
    warden = client_of(app, "warden1")
    page = warden.get("/me").get_data(as_text=True)
    assert f'data-finding="{made.id}"' in page and "Report fixed" in page
    got = warden.post(
        f"/me/findings/{made.id}/fix",
        data={"csrf_token": csrf_of(warden, "/me"), "note": "已补装",
              "photo": (io.BytesIO(jpeg()), "fix.jpg")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert got.status_code == 303
    with_fix = f.get_finding(engine, made.id, f.Actor("manager", "manager"))
    assert with_fix.status == "fixed" and [p.stage for p in with_fix.photos] == ["fix"]
    other = client_of(app, "warden2")
    refused = other.post(f"/me/findings/{made.id}/fix", data={"csrf_token": csrf_of(other, "/me")})
    assert refused.status_code == 403


def test_filters_pages_and_exports_of_the_ledger_page(site, engine):
    from gridmgr.services import findings as f

    app, park = site
    boss = f.Actor("manager", "manager")
    for k in range(55):
        f.record_finding(
            engine, park.slug, park.codes[k % 3],
            f.NewFinding(category="masks" if k % 2 else "duty", text=f"=SUM(A{k})", fixed_now=True),
            boss,
        )  # fmt: skip
    manager = client_of(app, "manager")
    first = manager.get(f"/areas/{park.slug}/findings").get_data(as_text=True)
    assert first.count("data-finding=") == 50 and "Page 1 of 2" in first and 'rel="next"' in first
    second = manager.get(f"/areas/{park.slug}/findings?page=2").get_data(as_text=True)
    assert second.count("data-finding=") == 5
    masks = manager.get(f"/areas/{park.slug}/findings?category=masks&cell={park.codes[0]}")
    assert "9 findings match" in masks.get_data(as_text=True)
    bad = manager.get(f"/areas/{park.slug}/findings?status=lost")
    assert bad.status_code == 422 and "status &#39;lost&#39;" in bad.get_data(as_text=True)
    xlsx = manager.get(f"/areas/{park.slug}/findings/export.xlsx")
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(xlsx.data))["整改台账"]
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    assert values[0][:4] == ["序号", "网格编号", "问题类别", "问题描述"] and len(values) == 56
    assert values[1][3] == "=SUM(A0)" and sheet["D2"].data_type == "s"
    text = manager.get(f"/areas/{park.slug}/findings/export.csv").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 56 and rows[1][3] == "'=SUM(A0)" and rows[1][6] == "立行立改"
    gpkg = manager.get(f"/areas/{park.slug}/findings/export.gpkg")
    assert gpkg.status_code == 200 and gpkg.data[:16] == b"SQLite format 3\x00"
    planner = client_of(app, "planner")
    page = planner.get(f"/areas/{park.slug}/findings").get_data(as_text=True)
    assert "data-finding=" in page and 'data-action="close"' not in page  # planners read


def test_the_coverage_map_carries_the_findings_layer(site, engine):
    from gridmgr.services import findings as f

    app, park = site
    boss = f.Actor("manager", "manager")
    f.record_finding(
        engine, park.slug, park.codes[2],
        f.NewFinding(category="waste", text="<script>alert(1)</script>", deadline=SOON, unit="u",
                     person="p"), boss,
    )  # fmt: skip
    f.record_finding(engine, park.slug, park.codes[3], f.NewFinding(category="duty", text="x",
                     fixed_now=True), boss)  # fmt: skip
    page = client_of(app, "manager", zh=True).get(f"/areas/{park.slug}/map").get_data(as_text=True)
    data = json.loads(re.search(r'id="gm-findings"[^>]*>(.*?)</script>', page, re.S).group(1))
    assert sorted(data["status"]) == ["closed", "open"] and data["cellsOpen"] == [park.codes[2]]
    assert data["labels"]["statuses"]["overdue"] == "已逾期" and "gridmgr-findings.js" in page
    assert 'data-count="findings-open">1<' in page and "<script>alert" not in page
