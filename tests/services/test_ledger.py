"""The rectification ledger of nested areas: a parent's ledger covers every finding below it."""

from __future__ import annotations

import random

from treetools import AT, seed_tree

from gridmgr.services.ledger import ledger
from gridmgr.services.rollup import rollup


def test_a_parents_ledger_is_the_sum_of_its_leaves_ledgers(engine):
    tree = seed_tree(engine, [None, 0, 0, 1, 1, 2, 2, 2], random.Random(5), gridded=1.0)
    root = ledger(engine, tree.slugs[0])
    leaves = [ledger(engine, tree.slugs[i]) for i in range(len(tree.slugs)) if not tree.kids(i)]
    assert root.figures.found > 0
    for key in ("found", "fixed_on_spot", "with_deadline", "rectified", "open", "fixed"):
        assert getattr(root.figures, key) == sum(getattr(x.figures, key) for x in leaves), key
    street = ledger(engine, tree.slugs[1])
    assert street.figures.found == sum(
        ledger(engine, tree.slugs[i]).figures.found for i in tree.kids(1)
    )
    total = rollup(engine, tree.slugs[0], at=AT).total
    assert total.findings_found == root.figures.found
