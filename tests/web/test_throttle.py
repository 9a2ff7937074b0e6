"""Login failures counted per user name and per address in a sliding window shared by every server;
large uploads let through a few at a time; on both databases."""

from __future__ import annotations

import pytest

from gridmgr.errors import RateLimited
from gridmgr.web.throttle import LoginThrottle, UploadGate


def test_a_user_name_is_locked_after_its_failures_and_cleared_by_success(engine):
    throttle = LoginThrottle(engine, per_user=3, per_address=100, window_s=600)
    for k in range(3):
        throttle.check(" Boss ", f"10.0.0.{k}")  # names are compared trimmed, in any case
        throttle.failed("boss" if k % 2 else "BOSS", f"10.0.0.{k}")
    with pytest.raises(
        RateLimited, match=r"too many failed logins; try again in 10 minute"
    ) as info:
        throttle.check("boss", "10.9.9.9")
    assert 590 <= info.value.retry_after_s <= 600
    throttle.check("someone else", "10.0.0.1")
    throttle.succeeded("Boss")
    throttle.check("boss", "10.9.9.9")


def test_an_address_is_locked_after_its_failures_whatever_the_names(engine):
    throttle = LoginThrottle(engine, per_user=100, per_address=4, window_s=600)
    for k in range(4):
        throttle.failed(f"user{k}", "192.0.2.7")
    with pytest.raises(RateLimited):
        throttle.check("new name", "192.0.2.7")
    throttle.succeeded("user0")  # a right password clears the name, not the address
    with pytest.raises(RateLimited):
        throttle.check("user0", "192.0.2.7")
    throttle.check("user0", "192.0.2.8")


def test_failures_outside_the_window_do_not_count(engine):
    throttle = LoginThrottle(engine, per_user=1, per_address=1, window_s=-1)  # every failure is old
    throttle.failed("boss", "10.0.0.1")
    throttle.check("boss", "10.0.0.1")


def test_large_uploads_take_the_slots_in_turn(engine):
    gate = UploadGate(engine, large_mb=1, at_once=2, retry_after_s=7)
    assert gate.is_large(1024 * 1024 + 1, False) and not gate.is_large(1024 * 1024, False)
    assert gate.is_large(None, True) and not gate.is_large(None, False)
    first, second = gate.enter(), gate.enter()
    with pytest.raises(RateLimited, match="try again in 7 seconds") as info:
        gate.enter()
    assert info.value.retry_after_s == 7
    gate.leave(first)
    third = gate.enter()
    gate.leave(second)
    gate.leave(third)
    gate.leave(gate.enter())
