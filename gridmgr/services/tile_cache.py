"""Made vector tiles kept in each server process, so that a tile asked again unchanged is answered
without cutting, merging and encoding its cells again.

Why a per-process LRU keyed by what the tile says, not a table in the database nor a counter of
changes: the key holds the plan (id, version), the tile, the zoom where single cells start, and a
SHA-256 of every value the tile is drawn from (the ids of the cells meeting it and each one's status,
and for single cells its code, wardens and posts), which `services.tiles` reads from the database for
every request. A round, a post or a schedule that changes a colour, or the clock passing a round's
window, changes the digest, so a stale tile can never be served, by any of several servers on one
database, without a write on each read or a counter every writer would have to bump. What a hit
saves is the costly part (reading the shapes, cutting, merging, encoding: most of a big tile's time);
the statuses are still worked out each time. Bounded by bytes, least recently used out first."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

DEFAULT_BYTES = 64 * 1024 * 1024


class TileCache:
    """A thread-safe least-recently-used map from a tile's key to its bytes, at most `max_bytes`
    of tiles in all (a tile bigger than a quarter of that is not kept)."""

    def __init__(self, max_bytes: int = DEFAULT_BYTES) -> None:
        self.max_bytes = max_bytes
        self._tiles: OrderedDict[Hashable, bytes] = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> bytes | None:
        """The tile's bytes kept under `key` (now the most recently used), or None."""
        with self._lock:
            data = self._tiles.get(key)
            if data is None:
                self.misses += 1
                return None
            self._tiles.move_to_end(key)
            self.hits += 1
            return data

    def put(self, key: Hashable, data: bytes) -> None:
        """Keep `data` under `key`, dropping the least recently used tiles past the bound."""
        if len(data) * 4 > self.max_bytes:
            return
        with self._lock:
            old = self._tiles.pop(key, None)
            if old is not None:
                self._held -= len(old)
            self._tiles[key] = data
            self._held += len(data)
            while self._held > self.max_bytes:
                _, dropped = self._tiles.popitem(last=False)
                self._held -= len(dropped)

    def __len__(self) -> int:
        with self._lock:
            return len(self._tiles)
