"""Gridding an area with children: N shared over the leaves by land, codes under each leaf's code,
one transaction (SQLite and PostGIS)."""

from __future__ import annotations

import re

import pytest

from gridmgr import services
from gridmgr.errors import InvalidInput
from gridmgr.services.leaf_grid import grid_leaves, holds_children

from webtools import table_counts


def test_count_is_shared_by_land_and_codes_follow_the_streets(engine, streets):
    top, kids = streets
    assert holds_children(engine, top) and not holds_children(engine, kids[0])
    before = table_counts(engine)
    dry = grid_leaves(engine, top, count=101, dry_run=True)
    assert table_counts(engine) == before and dry.cells == 101
    done = grid_leaves(engine, top, count=101)
    assert done.cells == 101 and [x.slug for x in done.leaves] == sorted(kids)
    assert [x.cells for x in done.leaves] == [x.cells for x in dry.leaves]
    land = {x.slug: services.get_area(engine, x.slug).area_m2 for x in done.leaves}
    for x in done.leaves:
        exact = 101 * land[x.slug] / sum(land.values())
        assert x.share == pytest.approx(exact) and abs(x.cells - exact) < 1
        codes = list(services.plan_cells(engine, x.slug)["code"])
        assert len(codes) == x.cells == services.get_area(engine, x.slug).cells
        assert all(re.fullmatch(re.escape(x.code) + r"\d{3}", c) for c in codes), codes[:3]
        assert x.code is not None and len(x.code) == 9 and x.plan_version == 1
        assert (x.first_code, x.last_code) == (min(codes), max(codes))
    assert services.get_area(engine, top).cells == 0
    # again by cell size: every leaf re-gridded, its earlier plan kept as history
    by_size = grid_leaves(engine, top, cell_size=400)
    assert by_size.mode == "cell_size" and all(x.share is None for x in by_size.leaves)
    assert all(x.plan_version == 2 for x in by_size.leaves)
    assert by_size.cells == sum(services.get_area(engine, s).cells for s in kids)


def test_wardens_keep_their_posts_when_the_leaves_are_gridded_again(engine, streets, tmp_path):
    top, kids = streets
    grid_leaves(engine, top, count=12)
    csv = tmp_path / "w.csv"
    csv.write_text("name,phone\n" + "".join(f"w{k},1380000{k:04d}\n" for k in range(6)), "utf-8")
    services.import_wardens(engine, csv)
    for s in kids:
        code = services.plan_cells(engine, s)["code"].iloc[0]
        services.assign(engine, s, [code], f"w{kids.index(s)}")
    grid_leaves(engine, top, count=30)
    for k, s in enumerate(kids):
        staff = services.area_staff(engine, s)
        assert f"w{k}" in {p.name for c in staff.cells for p in c.posts}


def test_too_few_cells_or_no_children_is_refused_and_nothing_written(engine, streets):
    top, kids = streets
    before = table_counts(engine)
    with pytest.raises(InvalidInput, match="2 cells cannot cover 3 areas"):
        grid_leaves(engine, top, count=2)
    with pytest.raises(InvalidInput, match="has no child areas"):
        grid_leaves(engine, kids[0], count=5)
    assert table_counts(engine) == before
