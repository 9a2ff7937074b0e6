"""Throttling: failed logins (a user name or a client address with too many failures waits a while)
and large uploads (a few at a time)."""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict, deque

from gridmgr.errors import RateLimited


class LoginThrottle:
    """Failures per key (user name, client address) in a sliding window; one per app, thread-safe.

    The counts live in the serving process: behind several processes each keeps its own.
    """

    def __init__(self, *, per_user: int = 5, per_address: int = 20, window_s: float = 900) -> None:
        self.limits = {"user": per_user, "addr": per_address}
        self.window_s = window_s
        self._failures: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def check(self, username: str, address: str) -> None:
        """Raise RateLimited when the user name or the address has used up its failures."""
        now = time.monotonic()
        with self._lock:
            for kind, key in (("user", username.strip().lower()), ("addr", address)):
                seen = self._recent((kind, key), now)
                if len(seen) >= self.limits[kind]:
                    wait = math.ceil(seen[0] + self.window_s - now)
                    raise RateLimited.of(
                        "too many failed logins; try again in {minutes} minute(s)",
                        wait,
                        minutes=math.ceil(wait / 60),
                    )

    def failed(self, username: str, address: str) -> None:
        """Count a failed login against both the user name and the address."""
        now = time.monotonic()
        with self._lock:
            self._failures[("user", username.strip().lower())].append(now)
            self._failures[("addr", address)].append(now)

    def succeeded(self, username: str) -> None:
        """A right password clears the user name's failures (the address keeps its count)."""
        with self._lock:
            self._failures.pop(("user", username.strip().lower()), None)

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        seen = self._failures[key]
        while seen and seen[0] <= now - self.window_s:
            seen.popleft()
        return seen


class UploadGate:
    """Large request bodies (uploads) processed a few at a time: parsing one can take a gigabyte
    and a minute, so more at once would exhaust memory; the others are told to come back."""

    def __init__(self, *, large_mb: float = 5, at_once: int = 1, retry_after_s: int = 30) -> None:
        self.large_bytes = int(large_mb * 1024 * 1024)
        self.retry_after_s = retry_after_s
        self.slots = threading.BoundedSemaphore(max(1, at_once))

    def is_large(self, content_length: int | None, chunked: bool) -> bool:
        """A body over the threshold, or one of unknown length (chunked)."""
        return chunked if content_length is None else content_length > self.large_bytes

    def enter(self) -> None:
        """Take a slot or raise RateLimited (429 with Retry-After) when all are busy."""
        if not self.slots.acquire(blocking=False):
            raise RateLimited.of(
                "the server is busy with another large upload; try again in {seconds} seconds",
                self.retry_after_s,
                seconds=self.retry_after_s,
            )

    def leave(self) -> None:
        """Give the slot back."""
        self.slots.release()
