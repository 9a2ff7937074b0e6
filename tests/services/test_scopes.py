"""A scoped user acts on its area and the areas below it only: areas, findings, photos, lists and the
roster cut to that subtree; an unscoped user acts on every area."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from treetools import seed_tree

from gridmgr.db.models import Area, Finding
from gridmgr.db.store import reading
from gridmgr.errors import NotFound
from gridmgr.services.roster import WardenRow
from gridmgr.services.scopes import (
    check_area,
    check_finding,
    may_act_on,
    visible,
    visible_area_ids,
    wardens_in_scope,
)

PARENTS = [None, 0, 0, 1, 1, 2, 3]  # a root, two children, grandchildren, a great-grandchild


@dataclass(frozen=True)
class User:
    scope_id: int | None
    scope: str | None


@dataclass(frozen=True)
class Row:
    slug: str


@pytest.fixture
def tree(engine):
    return seed_tree(engine, PARENTS, random.Random(3), gridded=1.0)


def below(tree, i: int) -> set[int]:
    """Area i and every area under it, by index."""
    return {i} | {j for k in tree.kids(i) for j in below(tree, k)}


def test_a_scoped_user_acts_on_its_subtree_only(engine, tree):
    with reading(engine) as s:
        ids = dict(s.execute(select(Area.slug, Area.id)).all())
        findings = s.execute(select(Finding.id, Area.slug).join(Area)).all()
    assert findings  # the seeded tree has findings to check
    everyone = User(None, None)
    assert visible_area_ids(engine, everyone) is None
    for i, slug in enumerate(tree.slugs):
        user = User(ids[slug], slug)
        mine = {tree.slugs[j] for j in below(tree, i)}
        assert visible_area_ids(engine, user) == {ids[x] for x in mine}
        assert [r.slug for r in visible(engine, user, map(Row, tree.slugs))] == [
            x for x in tree.slugs if x in mine
        ]
        for other in tree.slugs:
            assert may_act_on(engine, user, other) is (other in mine)
            assert may_act_on(engine, everyone, other)
            if other in mine:
                check_area(engine, user, other)
            else:
                with pytest.raises(NotFound, match=f"within your area '{slug}'"):
                    check_area(engine, user, other)
        for finding_id, area in findings:
            if area in mine:
                check_finding(engine, user, finding_id)
            else:
                with pytest.raises(NotFound, match=f"no finding {finding_id} within"):
                    check_finding(engine, user, finding_id)
        assert may_act_on(engine, user, "nowhere") is False


def test_the_roster_is_cut_to_the_scope(engine, tree):
    with reading(engine) as s:
        ids = dict(s.execute(select(Area.slug, Area.id)).all())
    leaf_a, leaf_b = tree.slugs[4], tree.slugs[5]  # under different children of the root
    rows = [
        WardenRow("both", None, "member", {leaf_a: ("A-1",), leaf_b: ("B-1", "B-2")}, 3),
        WardenRow("idle", None, "member", {}, 0),
        WardenRow("elsewhere", None, "member", {leaf_b: ("B-3",)}, 1),
    ]
    scope = tree.slugs[1]  # holds leaf_a, not leaf_b
    got = wardens_in_scope(engine, User(ids[scope], scope), rows)
    assert [(w.name, w.cells, w.cell_count) for w in got] == [
        ("both", {leaf_a: ("A-1",)}, 1),
        ("idle", {}, 0),  # to be posted
    ]
    assert wardens_in_scope(engine, User(None, None), rows) == rows
