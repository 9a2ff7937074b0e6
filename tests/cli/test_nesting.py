"""`gridmgr area add --parent`, `area import`, `area list` as a tree, `grid` over leaves, `area set`
leaders: the command line in this process, on SQLite and PostGIS."""

from __future__ import annotations

import json

import pytest
from nesttools import WEST, district, strips, write_features

from gridmgr.cli.main import main


@pytest.fixture
def run(db_url, capsys, monkeypatch):
    """The command line in this process (each command's engine disposed after it)."""
    from gridmgr.db import store

    made = []
    make = store.make_engine
    monkeypatch.setattr(store, "make_engine", lambda url=None: made.append(make(url)) or made[-1])

    def call(args, status: int) -> str:
        try:
            assert main(["--db", db_url, *map(str, args)]) == status, capsys.readouterr()
        finally:
            while made:
                made.pop().dispose()
        out = capsys.readouterr()
        return out.out if status == 0 else out.err

    def ok(*args: str) -> str:
        return call(args, 0)

    ok.fails = lambda *args: call(args, 2)  # type: ignore[attr-defined]
    return ok


def test_area_add_with_a_parent_and_the_list_as_a_tree(run, tmp_path):
    top = write_features(tmp_path / "d.geojson", [district()])
    assert run("area", "add", top, "--name", "Daoli", "--kind", "district").strip() == "daoli"
    west = write_features(tmp_path / "w.geojson", strips([WEST + 0.02])[:1])
    slug = run("area", "add", west, "--name", "West", "--kind", "street", "--parent", "daoli")
    assert slug.strip() == "west"
    lines = run("area", "list").splitlines()
    assert lines[0].startswith("daoli ") and lines[1].startswith("  west ")
    listed = json.loads(run("area", "list", "--json"))
    assert {a["slug"]: a["parent"] for a in listed} == {"daoli": None, "west": "daoli"}
    err = run.fails("area", "add", west, "--name", "X", "--parent", "nowhere")
    assert err.startswith("gridmgr: error: no area 'nowhere'")
