"""Wardens shared over an area's leaf areas, each warden in one leaf, in proportion to their cells;
too few wardens refused whole (SQLite and PostGIS)."""

from __future__ import annotations

import pytest

from gridmgr import services
from gridmgr.errors import InvalidInput
from gridmgr.services.leaf_grid import grid_leaves

from webtools import table_counts


def test_wardens_are_shared_over_the_leaves_each_in_one(engine, streets, tmp_path):
    from gridmgr.services.leaf_staff import auto_assign_leaves

    top, kids = streets
    grid_leaves(engine, top, count=30)
    csv = tmp_path / "w.csv"
    csv.write_text("name,phone\nw0,13800000000\nw1,13800000001\n", "utf-8")
    services.import_wardens(engine, csv)
    before = table_counts(engine)
    with pytest.raises(InvalidInput, match="2 wardens cannot staff the 3 leaf areas"):
        auto_assign_leaves(engine, top)
    assert table_counts(engine) == before
    csv.write_text("name,phone\n" + "".join(f"x{k},1390000{k:04d}\n" for k in range(43)), "utf-8")
    services.import_wardens(engine, csv)
    done = auto_assign_leaves(engine, top)
    assert done.wardens == 45 and sum(x.wardens for x in done.leaves.values()) == 45
    seen: dict[str, str] = {}
    for slug in kids:
        cells = services.area_staff(engine, slug).cells
        assert all(c.posts for c in cells)
        for name in {p.name for c in cells for p in c.posts}:
            assert seen.setdefault(name, slug) == slug  # in one street only
        assert abs(done.leaves[slug].wardens - 45 * len(cells) / 30) < 1
    assert len(seen) == 45
