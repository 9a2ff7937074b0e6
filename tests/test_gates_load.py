"""A short run of benchmarks/bench_gates.py as a test: gates racing at the limit against a real
`gridmgr serve` while managers read the occupancy; no request fails, the final occupancy is exactly
the acknowledged entries minus exits, each count is stored once, and the stored events never pass
the limit. (Its speed is the benchmark's business: `python benchmarks/bench_gates.py`.)"""

from __future__ import annotations

import sys

import pytest

from conftest import ROOT
from needs import shared_pg_url


@pytest.mark.parametrize("kind", ["sqlite", "postgis"])
def test_gates_at_the_limit_stay_exact_under_load(kind):
    pg = shared_pg_url() if kind == "postgis" else None
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import bench_gates
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    r = bench_gates.run(kind, gates=8, managers=2, seconds=4, pg=pg, limit=12, pause=0.05,
                        manager_pause=0.5)  # fmt: skip
    assert r["errors"] == [] and r["server_errors"] == []
    assert r["acked"] > 50 and r["stored"] == r["acked"] and r["exactly_once"]
    assert r["final"] == r["acked_in_minus_out"] and r["counter_equals_events"]
    assert r["never_over"] and r["stored_levels_agree"] and r["peak"] == 12 and r["refused"] > 0
    assert len(r["times"]["occupancy"]) >= 4
