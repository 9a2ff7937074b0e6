"""Sharing a whole number out in proportion (cells over a district's streets): the largest remainder
method with at least one each, every share within one of its exact quota where the quotas allow."""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

from gridmgr.errors import InvalidInput


def apportion(total: int, weights: Sequence[float]) -> list[int]:
    """`total` split over `weights` (areas): sums to `total`, each at least 1, none above its exact
    quota q = total × w / Σw rounded up (or 1), and each within 1 of q when every q is 1 or more
    (largest remainder). A part whose q is under 1 gets 1, taken from the part rounded furthest up.
    Fewer than one per part, or a weight not positive, is InvalidInput."""
    n = len(weights)
    if n == 0:
        raise InvalidInput("there is nothing to share out: no parts were given")
    if any(not (math.isfinite(w) and w > 0) for w in weights):
        raise InvalidInput("every part needs a positive, finite size to share out by")
    if total < n:
        raise InvalidInput.of(
            "{total} cells cannot cover {n} areas: each needs at least one; ask for {n} or more",
            total=total,
            n=n,
        )
    exact = [Fraction(w) for w in weights]  # exact quotas: no rounding decides a tie
    whole = sum(exact)
    quotas = [total * w / whole for w in exact]
    shares = [math.floor(q) for q in quotas]
    left = total - sum(shares)
    by_remainder = sorted(range(n), key=lambda k: (-(quotas[k] - shares[k]), k))
    for k in by_remainder[: max(left, 0)]:
        shares[k] += 1
    for k in range(n):
        if shares[k] == 0:
            # from the part rounded furthest up that can spare one: one that stays within 1 of its
            # quota when there is such a part (there always is when every quota is 1 or more)
            give = max(
                (j for j in range(n) if shares[j] >= 2),
                key=lambda j: (shares[j] >= quotas[j], shares[j] - quotas[j], -j),
            )
            shares[give] -= 1
            shares[k] = 1
    return shares
