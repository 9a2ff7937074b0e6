"""The daily report page on SQLite and PostGIS: the day's figures per child and the total, the worst
cells and the open findings, printable, in zh-CN and English; refusals as everywhere."""

from __future__ import annotations

import random
import re

import pytest
from treetools import seed_tree

from gridmgr import services
from gridmgr.services.daily_report import daily_report

from webtools import PASSWORD, login

DAY = "2026-11-20"


@pytest.fixture
def site(engine, app_factory):
    names = ["道里区", "新阳路街道", "经纬街道", "建国社区", "友谊社区"]
    tree = seed_tree(engine, [None, 0, 0, 1, 1], random.Random(17), names=names, gridded=1.0)
    services.add_user(engine, "boss", role="manager", password=PASSWORD)
    services.add_user(engine, "chen", role="manager", password=PASSWORD, scope=tree.slugs[1])
    return app_factory(TILES_URL="").test_client(), tree


def test_the_page_shows_the_days_report(site, engine):
    client, tree = site
    login(client, "boss")
    got = client.get(f"/areas/{tree.slugs[0]}/report?day={DAY}")
    html = got.get_data(as_text=True)
    assert got.status_code == 200, html[:300]
    report = daily_report(engine, tree.slugs[0], DAY)
    assert re.findall(r'<tr data-child="([^"]+)"', html) == [tree.slugs[1], tree.slugs[2]]
    total = re.search(r'<tr data-total="[^"]+">(.*?)</tr>', html, re.S).group(1)
    assert f'data-col="cells">{report.rollup.total.cells:,}<' in total
    assert len(re.findall(r"<tr data-worst=", html)) == len(report.worst)
    assert len(re.findall(r"<tr data-finding=", html)) == len(report.findings)
    assert "window.print()" in html and "@media print" not in html  # the stylesheet has it
    client.get("/lang/zh-CN")
    zh = client.get(f"/areas/{tree.slugs[0]}/report?day={DAY}").get_data(as_text=True)
    assert "日报" in zh and "合计" in zh and "最落后的网格" in zh


def test_refusals(site):
    client, tree = site
    assert client.get(f"/areas/{tree.slugs[0]}/report").status_code == 302  # to the login
    login(client, "chen")
    assert client.get(f"/areas/{tree.slugs[0]}/report").status_code == 404  # above its scope
    assert client.get(f"/areas/{tree.slugs[1]}/report?day={DAY}").status_code == 200
    bad = client.get(f"/areas/{tree.slugs[1]}/report?day=yesterday")
    assert bad.status_code == 422 and "YYYY-MM-DD" in bad.get_data(as_text=True)
