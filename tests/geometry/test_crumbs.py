"""Crumbs join the neighbouring block across the shortest real edge, and the metres crossed are named."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from gridmgr.geometry.crumbs import join_crumbs


def test_a_crumb_crosses_its_shortest_real_edge_and_names_the_line():
    """A 10 x 40 m island between a 100 m block to the west (40 m shared, on Elm St) and one to
    the north (10 m shared, on Oak St): it joins the north block across Oak St."""
    west = shapely.box(0, 0, 100, 40)
    island = shapely.box(100, 0, 110, 40)
    north = shapely.box(0, 40, 110, 140)
    lines = np.array([
        shapely.LineString([(100, -5), (100, 40)]),
        shapely.LineString([(-5, 40), (115, 40)]),
    ])  # fmt: skip
    got = join_crumbs(
        np.array([west, island, north]),
        np.array([False, True, False]),
        lines=lines,
        names=["Elm St", "Oak St"],
    )
    assert got.crumbs_joined == 1 and len(got.blocks) == 2
    assert got.crossed_m == pytest.approx({"Oak St": 10.0})
    assert shapely.area(got.blocks).tolist() == pytest.approx([4000.0, 11400.0])
    assert got.kept.tolist() == [0, 2]  # the faces the blocks grew from (the island joined one)


def test_crumbs_join_a_block_or_a_larger_crumb_never_a_smaller_one():
    """Three crumbs in a row beside a block, growing away from it: the first joins the block, the
    second the larger third, and the third (only smaller crumbs beside it) stays for the next
    round (`blocks._joined_crumbs` repeats rounds until no crumb is left)."""
    block = shapely.box(0, 0, 100, 100)
    crumbs = [
        shapely.box(100, 0, 101, 100),
        shapely.box(101, 0, 103, 100),
        shapely.box(103, 0, 106, 100),
    ]
    got = join_crumbs(np.array([block, *crumbs]), np.array([False, True, True, True]))
    assert got.crumbs_joined == 2 and len(got.blocks) == 2
    assert sorted(shapely.area(got.blocks)) == pytest.approx([500.0, 10_100.0])
    assert got.kept.tolist() == [0, 3]


def test_no_crumbs_or_one_face_changes_nothing():
    faces = np.array([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)])
    assert join_crumbs(faces, np.array([False, False])).crumbs_joined == 0
    alone = join_crumbs(faces[:1], np.array([True]))
    assert alone.crumbs_joined == 0 and len(alone.blocks) == 1
