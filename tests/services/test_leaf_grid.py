"""Gridding an area with children: N shared over the leaves by land, codes under each leaf's code,
one transaction (SQLite and PostGIS)."""

from __future__ import annotations

import re

import pytest

from gridmgr import services
from gridmgr.errors import InvalidInput
from gridmgr.services.area_import import import_areas
from gridmgr.services.leaf_grid import grid_leaves, holds_children

from nesttools import WEST, district, strips, write_features
from webtools import table_counts

CUTS = [WEST + 0.0113, WEST + 0.0301]


@pytest.fixture
def streets(engine, tmp_path):
    """The made-up district with three streets coded 230102001..3; (district slug, street slugs)."""
    top = write_features(tmp_path / "d.geojson", [district()])
    slug = services.add_area(engine, top, name="道里区", code="230102").slug
    props = [{"name": f"S{k}", "code": f"23010200{k + 1}"} for k in range(3)]
    path = write_features(tmp_path / "s.geojson", strips(CUTS), props)
    got = import_areas(
        engine, path, parent=slug, level="street", name_field="name", code_field="code"
    )
    return slug, got.slugs


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
