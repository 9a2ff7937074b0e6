"""The tree of areas: subtrees, leaves and paths agree with a tree built at random, on both databases."""

from __future__ import annotations

import random

import shapely

from gridmgr.db.models import Area
from gridmgr.db.store import reading, transaction
from gridmgr.db.tree import (
    ancestor_ids,
    children_ids,
    children_slugs,
    is_within,
    leaf_ids,
    subtree_ids,
)


def build(engine, parents: list[int | None]) -> list[int]:
    """Areas whose i-th has parent index parents[i] (None: a root); their ids in the same order."""
    ids: list[int] = []
    with transaction(engine) as s:
        for i, p in enumerate(parents):
            area = Area(
                slug=f"a{i}", name=f"A{i}", geometry=shapely.to_wkb(shapely.box(0, 0, 1, 1)),
                area_m2=1.0, parent_id=None if p is None else ids[p],
            )  # fmt: skip
            s.add(area)
            s.flush()
            ids.append(area.id)
    return ids


def test_tree_queries_match_the_tree(engine):
    rng = random.Random(7)
    parents: list[int | None] = [None, None]
    for i in range(2, 40):
        parents.append(rng.randrange(i))
    ids = build(engine, parents)
    kids = {i: [j for j, p in enumerate(parents) if p == i] for i in range(len(parents))}

    def below(i: int) -> set[int]:
        return {i}.union(*(below(k) for k in kids[i])) if kids[i] else {i}

    def path(i: int) -> list[int]:
        return [] if parents[i] is None else [*path(parents[i]), parents[i]]  # type: ignore[list-item]

    with reading(engine) as s:
        for i, area_id in enumerate(ids):
            sub = subtree_ids(s, area_id)
            assert sub[0] == area_id
            assert set(sub) == {ids[j] for j in below(i)} and len(sub) == len(set(sub))
            assert set(children_ids(s, area_id)) == {ids[j] for j in kids[i]}
            assert children_slugs(s, area_id) == sorted(f"a{j}" for j in kids[i])
            assert set(leaf_ids(s, area_id)) == {ids[j] for j in below(i) if not kids[j]}
            assert ancestor_ids(s, area_id) == [ids[j] for j in path(i)]
            for j in rng.sample(range(len(ids)), 5):
                assert is_within(s, area_id, ids[j]) == (i in below(j))


def test_an_unknown_area_has_an_empty_subtree(engine):
    build(engine, [None])
    with reading(engine) as s:
        assert subtree_ids(s, 10**6) == [] and leaf_ids(s, 10**6) == []
        assert ancestor_ids(s, 10**6) == []
