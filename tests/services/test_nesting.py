"""Areas inside areas: children clipped to their parent, the tree listed, a gridded parent's cells
moved down to its children with everything attached to them (SQLite and PostGIS)."""

from __future__ import annotations

import pytest
import shapely
from nesttools import EAST, NORTH, SOUTH, WEST, district, strips, write_features

from gridmgr import services
from gridmgr.errors import InvalidInput, NotFound
from gridmgr.services.areas import area_tree

from webtools import table_counts


@pytest.fixture
def daoli(engine, tmp_path):
    """The made-up district as a root area; its slug."""
    path = write_features(tmp_path / "district.geojson", [district()])
    return services.add_area(engine, path, name="道里区", kind="district", code="230102").slug


def test_a_child_is_clipped_to_its_parent_and_listed_under_it(engine, daoli, tmp_path):
    # the west street sticks out 10 % past the district's west edge: it is clipped to the district
    wide = shapely.box(WEST - 0.002, SOUTH, WEST + 0.02, NORTH)
    path = write_features(tmp_path / "west.geojson", [wide])
    made = services.add_area(
        engine, path, name="新阳路街道", kind="street", parent=daoli, code="230102001"
    )
    assert made.slug == "xinyang-lu-jiedao" and made.parent == daoli
    child = services.get_area(engine, made.slug)
    assert child.parent == daoli and child.code_prefix == "230102001"
    inside = shapely.box(WEST, SOUTH, WEST + 0.02, NORTH)
    assert shapely.equals_exact(shapely.normalize(child.outline), shapely.normalize(inside), 1e-7)
    assert child.area_m2 < services.get_area(engine, daoli).area_m2 * 0.5
    assert services.get_area(engine, daoli).parent is None
    assert [a.slug for a in services.list_areas(engine, parent=daoli)] == [made.slug]
    assert services.list_areas(engine, parent=made.slug) == []
    with pytest.raises(NotFound, match="no area 'nowhere'"):
        services.list_areas(engine, parent="nowhere")
    tree = area_tree(services.list_areas(engine))
    assert [(d, a.slug, a.parent) for d, a in tree] == [(0, daoli, None), (1, made.slug, daoli)]


def test_a_child_outside_or_mostly_outside_its_parent_is_refused_and_nothing_written(
    engine, daoli, tmp_path
):
    before = table_counts(engine)
    away = write_features(
        tmp_path / "away.geojson", [shapely.box(EAST + 0.01, SOUTH, EAST + 0.02, NORTH)]
    )
    with pytest.raises(
        InvalidInput, match=r"not within the parent area 'daoli-qu': it lies outside"
    ):
        services.add_area(engine, away, name="Away", parent=daoli)
    # 80 % of it east of the district
    mostly = write_features(
        tmp_path / "mostly.geojson", [shapely.box(EAST - 0.005, SOUTH, EAST + 0.02, NORTH)]
    )
    with pytest.raises(InvalidInput, match=r"has only 20\.\d% of its land inside it"):
        services.add_area(engine, mostly, name="Mostly", parent=daoli)
    with pytest.raises(NotFound, match="no area 'nowhere'"):
        services.add_area(engine, away, name="Orphan", parent="nowhere")
    assert table_counts(engine) == before


def test_tree_order_puts_children_under_parents_at_any_depth():
    from gridmgr.services.areas import AreaSummary

    def row(slug, parent=None):
        return AreaSummary(slug, slug, "area", 1.0, None, 0, parent)

    rows = [row("b"), row("a"), row("c1", "b"), row("c0", "b"), row("d", "c1"), row("x", "gone")]
    tree = area_tree(rows)
    assert [(d, a.slug) for d, a in tree] == [
        (0, "a"), (0, "b"), (1, "c0"), (1, "c1"), (2, "d"), (0, "x"),
    ]  # fmt: skip
    assert sorted(a.slug for _, a in tree) == sorted(r.slug for r in rows)


def test_a_gridded_parent_refuses_a_child_that_leaves_cells_without_one(engine, daoli, tmp_path):
    services.grid(engine, daoli, count=12)
    before = table_counts(engine)
    west = write_features(tmp_path / "west.geojson", strips([WEST + 0.02])[:1])
    with pytest.raises(
        InvalidInput,
        match=r"'daoli-qu' is gridded and \d+ of its cells would belong to no child area \(230102\d{3}",
    ):
        services.add_area(engine, west, name="West", parent=daoli)
    assert table_counts(engine) == before
    # a child covering the whole district takes every cell
    whole = write_features(tmp_path / "whole.geojson", [district()])
    made = services.add_area(engine, whole, name="All", parent=daoli)
    assert made.moved is not None and made.moved.cells == {made.slug: 12}
    assert services.get_area(engine, daoli).cells == 0
    assert services.get_area(engine, made.slug).cells == 12
    with pytest.raises(InvalidInput, match="holds child areas"):
        services.grid(engine, daoli, from_file=whole)
