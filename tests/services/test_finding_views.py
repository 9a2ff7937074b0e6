"""Findings as users see them: views in the order asked with their area, cell and category, a
warden's open and fixed findings (its cells' or in its charge), and who may mark one fixed."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from sqlalchemy import select
from treetools import MANAGER, seed_tree

from gridmgr import services
from gridmgr.db.models import Area, Cell, Finding, FindingCategory
from gridmgr.db.store import reading
from gridmgr.errors import NotFound
from gridmgr.services.finding_views import finding_views, get_finding, may_fix, warden_findings


@pytest.fixture
def tree(engine):
    return seed_tree(engine, [None, 0, 0, 1, 2], random.Random(11), gridded=1.0)


def test_views_come_in_the_order_asked_with_what_they_refer_to(engine, tree):
    with reading(engine) as s:
        rows = s.execute(
            select(Finding.id, Finding.status, Area.slug, Cell.code, FindingCategory.key)
            .join(Area, Area.id == Finding.area_id)
            .join(FindingCategory, FindingCategory.id == Finding.category_id)
            .outerjoin(Cell, Cell.id == Finding.cell_id)
        ).all()
        assert len(rows) >= 2
        order = [r.id for r in rows][::-1]
        views = finding_views(s, order)
        assert finding_views(s, []) == []
    assert [v.id for v in views] == order
    by_id = {r.id: r for r in rows}
    for v in views:
        r = by_id[v.id]
        assert (v.area, v.cell, v.category, v.status) == (r.slug, r.code, r.key, r.status)
        assert v.cell_now == r.code  # no re-grid since
        assert v.found_at.startswith("2026-11-05T10:00") and v.found_at.endswith("+08:00")
        full = get_finding(engine, v.id, MANAGER)  # one finding's page: with its history
        assert replace(full, events=()) == v and full.events[0].action == "recorded"
    with pytest.raises(NotFound):
        get_finding(engine, max(by_id) + 1, MANAGER)


def test_a_warden_sees_its_cells_findings_and_may_fix_those_in_its_charge(engine, tree):
    wardens = [r.name for r in services.list_wardens(engine) if r.cells]
    with reading(engine) as s:
        rows = s.execute(
            select(Finding.id, Finding.status, Cell.code, Area.slug)
            .join(Cell, Cell.id == Finding.cell_id)
            .join(Area, Area.id == Finding.area_id)
        ).all()
    seen_any = False
    for row in services.list_wardens(engine):
        if row.name not in wardens:
            continue
        held = {(slug, c) for slug, codes in row.cells.items() for c in codes}
        want = {r.id for r in rows if (r.slug, r.code) in held and r.status in ("open", "fixed")}
        got = warden_findings(engine, row.name)
        assert {v.id for v in got} == want
        assert [v.found_at for v in got] == sorted((v.found_at for v in got), reverse=True)
        seen_any |= bool(want)
        for v in got:
            assert not may_fix(v, row.name)  # in its cell, but 张三 is in charge
            assert may_fix(replace(v, person=row.name), row.name) is (v.status == "open")
            assert not may_fix(replace(v, person=row.name), None)
    assert seen_any, "some warden holds a cell with a finding"
    with pytest.raises(NotFound, match="no warden named"):
        warden_findings(engine, "nobody")
