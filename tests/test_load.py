"""A short run of benchmarks/bench_load.py as a test: under concurrent wardens and managers against a
real `gridmgr serve`, no request fails and every acknowledged round is stored exactly once.
(Its speed is the benchmark's business; the full five-minute run is `python benchmarks/bench_load.py`.)"""

from __future__ import annotations

import sys

import pytest

from conftest import ROOT
from needs import shared_pg_url


@pytest.mark.parametrize("kind", ["sqlite", "postgis"])
def test_every_acknowledged_round_is_stored_once_under_load(kind):
    pg = shared_pg_url() if kind == "postgis" else None
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import bench_load
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    r = bench_load.run(kind, wardens=12, managers=2, seconds=4, pg=pg, pause=0.05, manager_pause=1)
    assert r["errors"] == []
    assert r["acked"] > 50 and r["stored"] == r["acked"] and r["exactly_once"]
    assert len(r["times"]["map page"]) >= 2
