"""GET /api/v1/areas/{slug}/rollup on SQLite and PostGIS: the contract's JSON, equal to the CLI's,
adding up at every level, and its refusals."""

from __future__ import annotations

import json
import random

import pytest
from treetools import AT, seed_tree

from gridmgr import services
from gridmgr.services.rollup import rollup
from gridmgr.web.api.rollup_json import ROW_FIELDS, rollup_to_json

API = "/api/v1"
TREE = [None, 0, 0, 1, 1, 2]  # a district, two streets, three communities


@pytest.fixture
def site(engine, app_factory):
    tree = seed_tree(engine, TREE, random.Random(11), names=["区", "街道一", "街道二", "社区一", "社区二", "社区三"], gridded=1.0)  # fmt: skip
    for username, role in [("manager", "manager"), ("planner", "planner")]:
        services.add_user(engine, username, role=role, password="pw for tests")
    ids = {u.username: u.id for u in services.list_users(engine)}
    tok = {u: {"Authorization": f"Bearer {services.issue_token(engine, ids[u])}"} for u in ids}
    return app_factory().test_client(), tok, tree


def test_the_rollup_json_is_the_contract_and_adds_up(site):
    client, tok, tree = site
    got = client.get(f"{API}/areas/{tree.slugs[0]}/rollup?at={AT}", headers=tok["planner"])
    assert got.status_code == 200, got.get_data(as_text=True)
    doc = got.get_json()
    assert set(doc) == {"area", "at", "total", "children"} and doc["area"] == tree.slugs[0]
    assert doc["at"].startswith("2026-11-20T15:00:00+08:00")
    assert [c["slug"] for c in doc["children"]] == [tree.slugs[1], tree.slugs[2]]
    for row in [doc["total"], *doc["children"]]:
        assert tuple(row) == ROW_FIELDS
    for name in ROW_FIELDS[2:]:
        if name not in ("coverage_ratio", "rectification_rate"):
            assert doc["total"][name] == sum(c[name] for c in doc["children"]), name
    street = client.get(f"{API}/areas/{tree.slugs[1]}/rollup?at={AT}", headers=tok["manager"])
    assert street.get_json()["total"] == doc["children"][0]
    engine = client.application.extensions["gridmgr.engine"]
    assert json.loads(json.dumps(rollup_to_json(rollup(engine, tree.slugs[0], at=AT)))) == doc


def test_rollup_refusals(site):
    client, tok, tree = site
    assert client.get(f"{API}/areas/{tree.slugs[0]}/rollup").status_code == 401
    assert client.get(f"{API}/areas/nowhere/rollup", headers=tok["manager"]).status_code == 404
    bad = client.get(f"{API}/areas/{tree.slugs[0]}/rollup?at=yesterday", headers=tok["manager"])
    assert bad.status_code == 422 and "ISO time" in bad.get_json()["error"]["message"]
