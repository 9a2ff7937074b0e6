"""A short run of benchmarks/bench_load.py as a test: under concurrent wardens and managers against a
real `gridmgr serve`, no request fails and every acknowledged round is stored exactly once; and two
servers on one database behave as one (exactly-once rounds, the login throttle, the upload gate).
(Its speed is the benchmark's business; the full five-minute run is `python benchmarks/bench_load.py`.)"""

from __future__ import annotations

import sys

import pytest

from conftest import ROOT
from needs import shared_pg_url


def _bench():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import bench_load
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    return bench_load


@pytest.mark.parametrize("kind", ["sqlite", "postgis"])
def test_every_acknowledged_round_is_stored_once_under_load(kind):
    pg = shared_pg_url() if kind == "postgis" else None
    bench_load = _bench()
    r = bench_load.run(kind, wardens=12, managers=2, seconds=4, pg=pg, pause=0.05, manager_pause=1)
    assert r["errors"] == []
    assert r["acked"] > 50 and r["stored"] == r["acked"] and r["exactly_once"]
    assert len(r["times"]["map page"]) >= 2


@pytest.mark.parametrize("kind", ["sqlite", "postgis"])
def test_rounds_replayed_through_two_servers_at_once_are_stored_once(kind):
    """Every round's request goes to both servers at the same moment with one Idempotency-Key: one
    answers 201, the other 200 with the same round, and the database holds it once."""
    pg = shared_pg_url() if kind == "postgis" else None
    r = _bench().run(kind, wardens=6, managers=2, seconds=3, pg=pg, pause=0.05, manager_pause=1,
                     servers=2, replay=True)  # fmt: skip
    assert r["errors"] == []
    # at least one round per warden however busy the machine (how many more is the benchmark's)
    assert r["acked"] >= 6 and r["stored"] == r["acked"] and r["exactly_once"]
    assert len(r["times"]["map page"]) >= 2  # managers on either server see the map


@pytest.fixture(params=["sqlite", "postgis"])
def two_servers(request, tmp_path):
    """Two `gridmgr serve` processes (instance folders of their own) on one fresh database with a
    manager `m0`, uploads over 1 MB counted as large: (bench_load, url, [port, port])."""
    bench = _bench()
    pg = shared_pg_url() if request.param == "postgis" else None
    url, drop = bench.fresh_database(request.param, tmp_path, pg)
    try:
        bench.setup(url, tmp_path, wardens=2, managers=1)
        started = bench.start_servers(url, tmp_path, 2, env={"GRIDMGR_LARGE_UPLOAD_MB": "1"})
        try:
            yield bench, url, [port for port, _ in started]
        finally:
            bench.stop_servers(started)
    finally:
        drop()


def test_failed_logins_count_across_two_servers(two_servers):
    bench, _, ports = two_servers

    def token(port: int, password: str) -> int:
        body = {"username": "m0", "password": password}
        return bench.request(port, "POST", "/api/v1/token", body=body)[0]

    for k in range(4):
        assert token(ports[k % 2], "wrong") == 401
    assert token(ports[1], bench.PASSWORD) == 200  # four are not five; the right one clears them
    for k in range(5):  # five spread over two servers lock the name as five on one would
        assert token(ports[k % 2], "wrong") == 401
    assert token(ports[0], bench.PASSWORD) == 429
    assert token(ports[1], bench.PASSWORD) == 429


def test_the_large_upload_gate_holds_across_two_servers(two_servers):
    from gridmgr.db.shared_state import give_back_upload_slot, take_upload_slot
    from gridmgr.db.store import make_engine

    bench, url, ports = two_servers
    big = {"name": "Big", "geometry": {"type": "Polygon", "coordinates": []}, "pad": " " * 2**21}

    def upload(port: int) -> int:  # the gate answers before authentication: 401 means let in
        return bench.request(port, "POST", "/api/v1/areas", body=big)[0]

    assert [upload(p) for p in ports] == [401, 401]
    engine = make_engine(url)  # a third server, in the middle of a large upload
    try:
        held = take_upload_slot(engine, slots=1, lease_s=600)
        assert held is not None
        assert take_upload_slot(engine, slots=1, lease_s=600) is None
        assert [upload(p) for p in ports] == [429, 429]  # the one slot is taken, for both
        assert bench.request(ports[0], "GET", "/healthz")[0] == 200  # small requests go on
        give_back_upload_slot(engine, held)
        assert [upload(p) for p in ports] == [401, 401]
        # a server that dies holding the slot: its connection (PostgreSQL) or its lease (SQLite)
        # goes, and the slot with it
        dead = take_upload_slot(engine, slots=1, lease_s=0)
        assert dead is not None
        if dead.connection is not None:
            assert upload(ports[1]) == 429
            dead.connection.invalidate()
            dead.connection.close()
        assert [upload(p) for p in ports] == [401, 401]
    finally:
        engine.dispose()
