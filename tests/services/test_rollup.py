"""The roll-up: a leaf's row is the coverage report's and the ledger's figures; every level adds up
its children's rows (the coverage ratio weighted by area), up to the root, on random trees."""

from __future__ import annotations

import random
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from treetools import AT, random_parents, seed_tree

from gridmgr.errors import NotFound
from gridmgr.rules.rectification import rate_of
from gridmgr.services.coverage import coverage_report
from gridmgr.services.ledger import ledger
from gridmgr.services.rollup import COUNTS, rollup

SUMMED = [c for c in COUNTS if c not in ("area_m2", "covered_m2")]
MOMENT = datetime.fromisoformat(AT).replace(tzinfo=ZoneInfo("Asia/Shanghai"))


def figures(row) -> dict:
    return {c: getattr(row, c) for c in SUMMED}


@pytest.mark.parametrize("seed", [1, 2])
def test_every_level_adds_up_its_children_up_to_the_root(engine, seed):
    rng = random.Random(seed)
    tree = seed_tree(engine, random_parents(rng, 9), rng)
    rolled = {slug: rollup(engine, slug, at=AT) for slug in tree.slugs}
    for i, slug in enumerate(tree.slugs):
        r = rolled[slug]
        kids = [tree.slugs[k] for k in tree.kids(i)]
        assert [c.slug for c in r.children] == sorted(kids)
        assert r.total.leaf == (not kids)
        for child in r.children:  # a child's row is its own roll-up's total
            assert child == rolled[child.slug].total
        if not kids:
            continue
        for c in SUMMED:
            assert getattr(r.total, c) == sum(getattr(ch, c) for ch in r.children), (slug, c)
        area = sum(ch.area_m2 for ch in r.children)
        assert r.total.area_m2 == pytest.approx(area)
        weighted = sum(ch.coverage_ratio * ch.area_m2 for ch in r.children) / area
        assert r.total.coverage_ratio == pytest.approx(weighted, abs=1e-5)
        assert r.total.rectification_rate == rate_of(
            r.total.findings_rectified, r.total.findings_found
        )
    root = rolled[tree.slugs[0]].total
    assert root.cells > 0 and root.rounds_expected_today > 0  # the seed has something to add up


@pytest.mark.parametrize("seed", [3])
def test_a_leafs_row_is_the_coverage_report_and_the_ledger(engine, seed):
    rng = random.Random(seed)
    tree = seed_tree(engine, random_parents(rng, 7), rng, gridded=0.8)
    root = rollup(engine, tree.slugs[0], at=AT)
    leaves = [i for i in range(len(tree.slugs)) if not tree.kids(i)]
    checked = 0
    for i in leaves:
        row = rollup(engine, tree.slugs[i], at=AT).total
        book = ledger(engine, tree.slugs[i], at=MOMENT).figures
        assert (row.findings_open, row.findings_overdue, row.rectification_rate) == (
            book.open, book.overdue, book.rate,
        )  # fmt: skip
        assert (row.findings_found, row.findings_rectified) == (book.found, book.rectified)
        try:
            rep = coverage_report(engine, tree.slugs[i], at=AT)
        except Exception:  # not gridded: nothing but its ground, uncovered
            assert row.cells == 0 and row.coverage_ratio == 0.0 and row.area_m2 > 0
            continue
        checked += 1
        assert row.cells == rep.cells_total
        assert row.coverage_ratio == round(rep.ground.coverage_ratio, 6)
        assert row.area_m2 == pytest.approx(rep.ground.area_m2)
        assert (row.unstaffed, row.due, row.overdue, row.ok) == (
            len(rep.unstaffed), len(rep.due), len(rep.overdue), len(rep.ok),
        )  # fmt: skip
        assert row.wardens == len(rep.wardens)
    assert checked and root.total.cells == sum(
        rollup(engine, tree.slugs[i], at=AT).total.cells for i in leaves
    )


def test_rounds_of_a_leaf_match_the_roster_count(engine):
    from gridmgr.services.roster import area_staff

    rng = random.Random(5)
    tree = seed_tree(engine, [None], rng, gridded=1.0)
    row = rollup(engine, tree.slugs[0], at=AT).total
    staff = area_staff(engine, tree.slugs[0], at=AT)
    assert row.rounds_expected_today == sum(c.rounds_expected for c in staff.cells)
    assert row.rounds_done_today == sum(c.rounds_done for c in staff.cells)


def test_an_unknown_area_is_not_found(engine):
    with pytest.raises(NotFound):
        rollup(engine, "nowhere")
