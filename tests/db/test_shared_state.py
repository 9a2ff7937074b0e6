"""State every server shares, in the database (gridmgr.db.shared_state): the session-signing key made
once however many servers start at once, failed logins counted and pruned, upload slots limited
across engines (as separate processes would be) and freed when their holder dies."""

from __future__ import annotations

import threading
import time

from gridmgr.db.shared_state import (
    add_failure,
    clear_failures,
    give_back_upload_slot,
    prune,
    recent_failures,
    shared_secret,
    take_upload_slot,
)
from gridmgr.db.store import make_engine


def test_servers_starting_at_once_agree_on_one_secret_key(db_url):
    engines = [make_engine(db_url) for _ in range(4)]  # four servers, each its own pool
    keys: list[str] = []
    start = threading.Barrier(len(engines))

    def boot(engine) -> None:
        start.wait()
        keys.append(shared_secret(engine))

    threads = [threading.Thread(target=boot, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert len(keys) == 4 and len(set(keys)) == 1 and len(keys[0]) == 64
        assert shared_secret(engines[0], adopt="x" * 64) == keys[0]  # made once: never replaced
    finally:
        for e in engines:
            e.dispose()


def test_failed_logins_are_counted_per_key_within_the_window_and_pruned(engine):
    user, addr = ("user", "li"), ("addr", "192.0.2.1")
    add_failure(engine, [user, addr], at_s=1000.0, prune_before_s=0.0)
    add_failure(engine, [user, addr], at_s=1500.0, prune_before_s=0.0)
    seen = recent_failures(engine, [user, addr, ("user", "wang")], since_s=900.0)
    assert (seen[user].count, seen[user].oldest_s) == (2, 1000.0)
    assert seen[("user", "wang")].count == 0 and seen[("user", "wang")].oldest_s is None
    assert recent_failures(engine, [user], since_s=1200.0)[user].count == 1  # out of the window
    add_failure(engine, [user], at_s=2000.0, prune_before_s=1200.0)  # older ones go as it counts
    assert recent_failures(engine, [user], since_s=0.0)[user].count == 2
    clear_failures(engine, *user)
    assert recent_failures(engine, [user], since_s=0.0)[user].count == 0
    assert recent_failures(engine, [addr], since_s=0.0)[addr].count == 1  # the address keeps its
    assert prune(engine, failures_before_s=10_000.0)[0] == 1


def test_upload_slots_are_limited_across_servers_and_freed(db_url):
    one, other = make_engine(db_url), make_engine(db_url)
    try:
        first = take_upload_slot(one, slots=2, lease_s=600)
        second = take_upload_slot(other, slots=2, lease_s=600)
        assert first is not None and second is not None and first.slot != second.slot
        assert take_upload_slot(one, slots=2, lease_s=600) is None
        assert take_upload_slot(other, slots=2, lease_s=600) is None
        give_back_upload_slot(one, first)
        third = take_upload_slot(other, slots=2, lease_s=600)
        assert third is not None and third.slot == first.slot
        give_back_upload_slot(other, second)
        give_back_upload_slot(other, third)
        # a holder that dies: its connection closes (PostgreSQL) or its lease runs out (SQLite)
        dead = take_upload_slot(one, slots=1, lease_s=0)
        assert dead is not None
        if dead.connection is not None:
            assert take_upload_slot(other, slots=1, lease_s=0) is None
            dead.connection.invalidate()
            dead.connection.close()
        # the server lets go of a closed connection's locks as its backend ends, a moment later
        deadline = time.monotonic() + 10
        while (alive := take_upload_slot(other, slots=1, lease_s=600)) is None:
            assert time.monotonic() < deadline, "a dead holder's slot was not freed in 10 s"
            time.sleep(0.05)
        give_back_upload_slot(other, alive)
    finally:
        one.dispose()
        other.dispose()
