"""A tiny run of benchmarks/bench_rollup.py as a test (no timing: speed is the benchmark's business):
its seeding makes the city it says, and every timed call answers, on SQLite and PostGIS."""

from __future__ import annotations

import sys

import pytest

from gridmgr.services.rollup import rollup

from conftest import ROOT


@pytest.fixture
def bench():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import bench_rollup

        yield bench_rollup
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))


def test_the_benchmark_seeds_the_city_and_times_every_call(engine, bench, tmp_path):
    seeded = bench.seed_city(engine, 2)
    at = seeded["at"].isoformat()
    city = rollup(engine, "city", at=at)
    assert seeded["cells"] == 8 * bench.CELLS_PER_COMMUNITY == city.total.cells
    assert [c.slug for c in city.children] == ["c-0", "c-1"]
    assert city.total.wardens == seeded["cells"] * bench.WARDENS_PER_CELL
    assert city.total.rounds_expected_today == seeded["cells"] * 5  # 3 fixed + 2 extra
    assert 0 < city.total.rounds_done_today <= seeded["cells"] * bench.ROUNDS_PER_CELL
    assert city.total.findings_open > 0 and city.total.coverage_ratio == 1.0
    figures = bench.measure(engine, seeded, 1, tmp_path / "instance")
    assert set(figures) == {"baseline_s", "city_s", "district_s", "street_s", "api_street_s",
                            "overview_street_s", "overview_district_s"}  # fmt: skip
