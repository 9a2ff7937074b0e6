"""gridmgr.services.tile_cache: the per-process store of made tiles keeps to its bytes, drops the
least recently used first, refuses a tile over a quarter of its bound and is safe across threads.
(That a cached tile is never stale is tested through `plan_tile` in tests/services/test_tiles.py.)"""

from __future__ import annotations

import threading

from hypothesis import given
from hypothesis import strategies as st

from gridmgr.services.tile_cache import TileCache


def test_the_cache_keeps_to_its_bytes_dropping_the_least_recently_used():
    cache = TileCache(max_bytes=100)
    for k in range(5):
        cache.put(k, bytes(20))
    assert len(cache) == 5
    assert cache.get(0) == bytes(20)  # 0 is now the most recently used
    cache.put(5, bytes(20))
    assert cache.get(1) is None and cache.get(0) is not None and len(cache) == 5
    cache.put("big", bytes(26))  # over a quarter of the bound: not kept
    assert cache.get("big") is None
    cache.put(0, bytes(10))  # a key put again replaces its bytes
    assert cache.get(0) == bytes(10) and len(cache) == 5


@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 30)), max_size=200))
def test_any_puts_keep_the_bound_and_the_last_bytes_of_each_key_kept(puts):
    cache = TileCache(max_bytes=120)
    last: dict[int, bytes] = {}
    for key, size in puts:
        data = bytes([key]) * size
        cache.put(key, data)
        last[key] = data
    kept = {k: cache.get(k) for k in last}
    assert sum(len(v) for v in kept.values() if v is not None) <= 120
    assert all(v is None or v == last[k] for k, v in kept.items())
    if puts and puts[-1][1] * 4 <= 120:
        assert kept[puts[-1][0]] == last[puts[-1][0]]  # the most recent put is always there


def test_threads_putting_and_getting_leave_it_consistent():
    cache = TileCache(max_bytes=10_000)

    def work(seed: int) -> None:
        for k in range(2_000):
            cache.put((seed, k % 50), bytes(k % 97))
            cache.get((seed, (k * 7) % 50))

    threads = [threading.Thread(target=work, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    held = sum(len(v) for k in [(s, j) for s in range(4) for j in range(50)]
               if (v := cache.get(k)) is not None)  # fmt: skip
    assert held <= 10_000 and cache.hits + cache.misses >= 4 * 2_000
