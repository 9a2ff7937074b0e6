"""The findings layer of a coverage map: markers for open, fixed and recently closed findings over the
area's subtree, each inside its area, counts by status, and the cells holding open findings."""

from __future__ import annotations

import random
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import shapely
from sqlalchemy import select
from treetools import seed_tree

from gridmgr import services
from gridmgr.db.models import Area, Cell, Finding
from gridmgr.db.store import reading
from gridmgr.errors import NotFound
from gridmgr.services.findings_map import map_findings

PARENTS = [None, 0, 0, 1, 1, 2, 2]


@pytest.mark.parametrize("seed", [1, 2])
def test_markers_and_counts_are_the_findings_of_the_subtree(engine, seed):
    tree = seed_tree(engine, PARENTS, random.Random(seed), gridded=1.0)
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()  # on the areas' clock
    with reading(engine) as s:
        rows = s.execute(
            select(
                Finding.id,
                Finding.status,
                Finding.deadline,
                Finding.closed_as,
                Area.slug,
                Cell.code,
            )
            .join(Area, Area.id == Finding.area_id)
            .outerjoin(Cell, Cell.id == Finding.cell_id)
        ).all()
    assert rows, "the seeded tree has findings"
    for i, slug in enumerate(tree.slugs):
        below = {tree.slugs[j] for j in tree.leaves_below(i)} | {slug}
        mine = [r for r in rows if r.slug in below]
        got = map_findings(engine, slug)
        shown = {r.id for r in mine if r.status in ("open", "fixed") or r.closed_as == "rectified"}
        assert set(got.ids) == shown and got.total == len(shown)
        assert len(got.ids) == len(got.shown) == len(got.lon) == len(got.lat)
        opened = [r for r in mine if r.status == "open"]
        assert got.counts["open"] == len(opened)
        assert got.counts["overdue"] == sum(
            r.deadline is not None and r.deadline < today for r in opened
        )
        assert got.counts["fixed"] == sum(r.status == "fixed" for r in mine)
        assert got.cells_open == sorted({r.code for r in opened})
        status = {r.id: r for r in mine}
        for k, shown_as in zip(got.ids, got.shown, strict=True):
            r = status[k]
            want = "closed" if r.status == "closed" else r.status
            if r.status == "open" and r.deadline is not None and r.deadline < today:
                want = "overdue"
            assert shown_as == want
        for lon, lat, k in zip(got.lon, got.lat, got.ids, strict=True):
            outline = services.get_area(engine, status[k].slug).outline
            assert outline.buffer(1e-9).contains(shapely.Point(lon, lat))
    with pytest.raises(NotFound):
        map_findings(engine, "nowhere")
