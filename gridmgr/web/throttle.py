"""Failed-login throttling: a user name or a client address with too many failures waits a while."""

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
