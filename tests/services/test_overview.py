"""An area's overview: its roll-up with its children's outlines, their leaders and the breadcrumb cut
at a scoped viewer's area."""

from __future__ import annotations

import random

import pytest
import shapely
from treetools import AT, seed_tree

from gridmgr import services
from gridmgr.errors import NotFound
from gridmgr.services.leaders import set_leaders
from gridmgr.services.overview import overview
from gridmgr.services.rollup import rollup

PARENTS = [None, 0, 0, 1, 1, 3]


@pytest.fixture
def tree(engine):
    return seed_tree(engine, PARENTS, random.Random(5), gridded=1.0)


def test_the_overview_is_the_rollup_with_shapes_and_leaders(engine, tree):
    top, child, grandchild = tree.slugs[0], tree.slugs[1], tree.slugs[3]
    set_leaders(engine, child, leader="王伟", leader_phone="139")
    got = overview(engine, top, at=AT)
    assert got.rollup == rollup(engine, top, at=AT)
    assert set(got.shapes) == {tree.slugs[k] for k in tree.kids(0)}
    outline = services.get_area(engine, top).outline
    assert shapely.equals(got.outline, outline)
    for slug, shape in got.shapes.items():
        assert shapely.equals(shape, services.get_area(engine, slug).outline)
        assert shape.intersection(outline).area == pytest.approx(shape.area, rel=1e-6)
    assert got.leaders[child].leader == "王伟" and set(got.leaders) == {top, *got.shapes}
    assert got.timezone == "Asia/Shanghai" and got.breadcrumb == ()
    deep = overview(engine, tree.slugs[5], at=AT)
    assert [a.slug for a in deep.breadcrumb] == [top, child, grandchild] and deep.shapes == {}
    # a viewer scoped to the child sees the path from its own area down
    cut = overview(engine, tree.slugs[5], at=AT, scope=child)
    assert [a.slug for a in cut.breadcrumb] == [child, grandchild]
    assert overview(engine, tree.slugs[5], at=AT, scope="elsewhere").breadcrumb == ()
    with pytest.raises(NotFound):
        overview(engine, "nowhere", at=AT)
