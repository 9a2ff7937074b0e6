"""The findings layer of a coverage map: markers for open, fixed and recently closed findings over the
area's subtree, each inside its area, counts by status, and the cells holding open findings."""

from __future__ import annotations

import random
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
import shapely
from sqlalchemy import select, update
from treetools import seed_tree

from gridmgr import services
from gridmgr.db.models import Area, Cell, Finding, GridPlan
from gridmgr.db.store import bulk_insert, reading, transaction
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


@pytest.mark.parametrize("seed", [3, 4])
def test_markers_are_the_newest_first_each_at_its_point_or_its_cells_inside_point(
    engine, seed, monkeypatch
):
    rng = random.Random(seed)
    tree = seed_tree(engine, PARENTS, rng, gridded=1.0)
    with transaction(engine) as s:  # found at a few moments (ties on the moment), some with a point
        for fid, geometry in s.execute(
            select(Finding.id, Cell.geometry).join(Cell, Cell.id == Finding.cell_id)
        ).all():
            inside = shapely.point_on_surface(shapely.from_wkb(geometry))
            point = rng.random() < 0.4
            s.execute(
                update(Finding)
                .where(Finding.id == fid)
                .values(
                    found_at_s=1_793_000_000 + rng.randrange(4) * 3600,
                    lon=inside.x + 1e-5 if point else None,
                    lat=inside.y - 1e-5 if point else None,
                )
            )
    root = tree.slugs[0]
    with reading(engine) as s:
        rows = s.execute(
            select(
                Finding.id, Finding.found_at_s, Finding.lon, Finding.lat, Cell.geometry
            ).outerjoin(Cell, Cell.id == Finding.cell_id)
        ).all()
    by_id = {r.id: r for r in rows}
    got = map_findings(engine, root)
    assert len(got.ids) >= 3, "the seeded tree shows some markers"
    order = [(-by_id[k].found_at_s, -k) for k in got.ids]
    assert order == sorted(order), "newest first, the later recorded first on the same moment"
    for k, lon, lat in zip(got.ids, got.lon, got.lat, strict=True):
        r = by_id[k]
        if r.lon is not None:
            assert (lon, lat) == (float(np.round(r.lon, 7)), float(np.round(r.lat, 7)))
        else:
            inside = shapely.point_on_surface(shapely.from_wkb(r.geometry))
            assert (lon, lat) == (float(np.round(inside.x, 7)), float(np.round(inside.y, 7)))
    # over the cap: the newest of them, in the same order; counts and total still cover them all
    monkeypatch.setattr("gridmgr.services.findings_map.MAP_FINDINGS_MAX", 2)
    capped = map_findings(engine, root)
    assert capped.ids == got.ids[:2] and capped.lon == got.lon[:2] and capped.lat == got.lat[:2]
    assert (capped.total, capped.counts, capped.cells_open) == (
        got.total,
        got.counts,
        got.cells_open,
    )


@pytest.mark.parametrize("seed", [5, 6])
def test_counts_and_markers_take_the_findings_rectified_in_the_last_days(engine, seed):
    """Closed findings show while rectified within `closed_days`: not before, nor those recorded in
    error; open and fixed ones always."""
    rng = random.Random(seed)
    tree = seed_tree(engine, PARENTS, rng, gridded=1.0)
    now = int(time.time())
    with transaction(engine) as s:  # 40 more over the leaves' cells: every state and closing age
        cells = s.execute(select(Cell.id, Cell.code, GridPlan.area_id).join(GridPlan)).all()
        rows = []
        for k in range(40):
            cell_id, code, area_id = rng.choice(cells)
            closed = k % 5 > 1
            rows.append({
                "area_id": area_id, "cell_id": cell_id, "cell_code": code, "category_id": 1,
                "text": f"p{k}", "found_by": "test", "found_at_s": now - 90 * 86400,
                "received_at_s": now - 90 * 86400, "mode": "deadline",
                "status": "closed" if closed else ["open", "fixed"][k % 5],
                "closed_as": ("error" if k % 3 == 2 else "rectified") if closed else None,
                "closed_at_s": now - [1, 20, 45, 60][k % 4] * 86400 if closed else None,
            })  # fmt: skip
        bulk_insert(s, Finding, rows)
    with reading(engine) as s:
        rows = s.execute(
            select(
                Finding.id, Finding.status, Finding.closed_as, Finding.closed_at_s, Area.slug
            ).join(Area, Area.id == Finding.area_id)
        ).all()
    ages = {(now - r.closed_at_s) // 86400 for r in rows if r.closed_as == "rectified"}
    assert {1, 20, 45, 60} <= ages, "rectified within and before either window"
    assert any(r.status != "closed" for r in rows)
    for i, slug in enumerate(tree.slugs):
        below = {tree.slugs[j] for j in tree.leaves_below(i)} | {slug}
        mine = [r for r in rows if r.slug in below]
        for days in (30, 50):
            got = map_findings(engine, slug, closed_days=days)
            lately = {
                r.id
                for r in mine
                if r.status == "closed"
                and r.closed_as == "rectified"
                and r.closed_at_s >= now - days * 86400
            }
            active = {r.id for r in mine if r.status in ("open", "fixed")}
            assert set(got.ids) == active | lately and got.total == len(active | lately)
            assert got.counts["closed_recently"] == len(lately)
            assert got.counts["open"] + got.counts["fixed"] == len(active)
