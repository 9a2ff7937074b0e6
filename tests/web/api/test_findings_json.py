"""Findings as the API's JSON: each finding, its photos, the categories, the ledger's figures and a
page of the list, valid against their schemas and saying what the services say."""

from __future__ import annotations

import random

from sqlalchemy import select
from treetools import MANAGER, seed_tree

from gridmgr.db.models import Finding
from gridmgr.db.store import reading
from gridmgr.services.categories import list_categories
from gridmgr.services.finding_views import finding_views
from gridmgr.services.ledger import FindingFilter, ledger, list_findings
from gridmgr.web.api.findings_json import category_json, finding_json, ledger_json, page_json

from openapitools import valid


def test_findings_categories_and_the_ledger_are_valid_json(engine):
    tree = seed_tree(engine, [None, 0, 0, 1, 1, 2, 2], random.Random(1), gridded=1.0)
    for c in list_categories(engine):
        got = category_json(c)
        valid("Category", got)
        assert got["key"] == c.key
    with reading(engine) as s:
        ids = list(s.execute(select(Finding.id)).scalars())
        views = finding_views(s, ids)
    assert views
    for v in views:
        got = finding_json(v)
        valid("Finding", got)
        assert (got["id"], got["status"], got["area"]) == (v.id, v.status, v.area)
    top = ledger(engine, tree.slugs[0])
    out = ledger_json(top)
    valid("Ledger", out)
    page = list_findings(engine, tree.slugs[0], FindingFilter(), viewer=MANAGER)
    listed = page_json(page)
    assert listed["findings"] and {f["id"] for f in listed["findings"]} <= set(ids)
    for f in listed["findings"]:
        valid("Finding", f)
