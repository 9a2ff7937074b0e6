"""Throttling: failed logins (a user name or a client address with too many failures waits a while)
and large uploads (a few at a time). Both count in the database, so every server behind a proxy
counts alike (gridmgr.db.shared_state)."""

from __future__ import annotations

import math
import time

from sqlalchemy import Engine

from gridmgr.db import shared_state
from gridmgr.db.shared_state import HeldSlot
from gridmgr.errors import RateLimited


class LoginThrottle:
    """Failures per key (user name, client address) in a sliding window, shared by every server on
    the database; the servers' clocks are the time (keep them in step, NTP)."""

    def __init__(
        self, engine: Engine, *, per_user: int = 5, per_address: int = 20, window_s: float = 900
    ) -> None:
        self.engine = engine
        self.limits = {"user": per_user, "addr": per_address}
        self.window_s = window_s

    def check(self, username: str, address: str) -> None:
        """Raise RateLimited when the user name or the address has used up its failures."""
        now = time.time()
        keys = _keys(username, address)
        counts = shared_state.recent_failures(self.engine, keys, since_s=now - self.window_s)
        for kind, key in keys:
            seen = counts[(kind, key)]
            if seen.count >= self.limits[kind]:
                oldest = seen.oldest_s if seen.oldest_s is not None else now
                wait = max(1, math.ceil(oldest + self.window_s - now))
                raise RateLimited.of(
                    "too many failed logins; try again in {minutes} minute(s)",
                    wait,
                    minutes=math.ceil(wait / 60),
                )

    def failed(self, username: str, address: str) -> None:
        """Count a failed login against both the user name and the address."""
        now = time.time()
        shared_state.add_failure(
            self.engine, _keys(username, address), at_s=now, prune_before_s=now - self.window_s
        )

    def succeeded(self, username: str) -> None:
        """A right password clears the user name's failures (the address keeps its count)."""
        shared_state.clear_failures(self.engine, "user", _user_key(username))


def _user_key(username: str) -> str:
    return username.strip().lower()[:255]


def _keys(username: str, address: str) -> list[tuple[str, str]]:
    return [("user", _user_key(username)), ("addr", address[:255])]


class UploadGate:
    """Large request bodies (uploads) processed a few at a time over all servers: parsing one can
    take a gigabyte and a minute, so more at once would exhaust memory; the others are told to come
    back. A slot is held until the request ends; one held by a process that died is free again at
    once on PostgreSQL (its connection's advisory lock goes with it), after `lease_s` on SQLite."""

    def __init__(
        self,
        engine: Engine,
        *,
        large_mb: float = 5,
        at_once: int = 1,
        retry_after_s: int = 30,
        lease_s: float = 900,
    ) -> None:
        self.engine = engine
        self.large_bytes = int(large_mb * 1024 * 1024)
        self.retry_after_s = retry_after_s
        self.at_once = max(1, at_once)
        self.lease_s = lease_s

    def is_large(self, content_length: int | None, chunked: bool) -> bool:
        """A body over the threshold, or one of unknown length (chunked)."""
        return chunked if content_length is None else content_length > self.large_bytes

    def enter(self) -> HeldSlot:
        """Take a slot or raise RateLimited (429 with Retry-After) when all are busy."""
        held = shared_state.take_upload_slot(self.engine, slots=self.at_once, lease_s=self.lease_s)
        if held is None:
            raise RateLimited.of(
                "the server is busy with another large upload; try again in {seconds} seconds",
                self.retry_after_s,
                seconds=self.retry_after_s,
            )
        return held

    def leave(self, held: HeldSlot) -> None:
        """Give the slot back."""
        shared_state.give_back_upload_slot(self.engine, held)
