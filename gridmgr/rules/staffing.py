"""Spreading wardens over cells: every cell staffed when there are enough, contiguous balanced groups when not."""

from __future__ import annotations

import heapq

import numpy as np
import numpy.typing as npt

from gridmgr.errors import InvalidInput

# a warden's role in a cell: leader 网格长, member 网格员, volunteer, and below the cell the building
# leader 楼栋长 and the unit (stairwell) leader 单元长 of the chain of responsibility
ROLES = ("leader", "member", "volunteer", "building_leader", "unit_leader")


def spread_wardens(cell_area: npt.NDArray[np.floating], n_wardens: int) -> npt.NDArray[np.int64]:
    """For W >= N wardens: how many wardens each cell gets, at least one, the rest to the largest cells.

    Extra wardens go one at a time to the cell with the most area per warden.
    """
    n = len(cell_area)
    counts = np.ones(n, np.int64)
    heap = [(-float(a), k) for k, a in enumerate(cell_area)]
    heapq.heapify(heap)
    for _ in range(n_wardens - n):
        _, k = heapq.heappop(heap)
        counts[k] += 1
        heapq.heappush(heap, (-float(cell_area[k]) / counts[k], k))
    return counts


def cell_workload(
    area_m2: npt.NDArray[np.floating],
    weight: npt.NDArray[np.floating] | None,
    rounds_a_day: npt.NDArray[np.integer],
) -> npt.NDArray[np.float64]:
    """What a cell asks of its wardens, for spreading them: its weight (households, visitors) times
    its rounds a day when the plan has weights, else its area as before (rounds then change
    nothing, so plans without weights are staffed as they always were)."""
    if weight is None:
        return np.asarray(area_m2, dtype=np.float64)
    rounds = np.maximum(np.asarray(rounds_a_day), 1)
    # a cell with no weight still needs walking: a small floor keeps it from counting as nothing
    w = np.asarray(weight, dtype=np.float64)
    floor = 1e-6 * max(float(w.max()), 1.0) if len(w) else 0.0
    return np.maximum(w, floor) * rounds


def contiguous_groups(
    x: npt.NDArray[np.floating],
    y: npt.NDArray[np.floating],
    area: npt.NDArray[np.floating],
    n_groups: int,
) -> npt.NDArray[np.int64]:
    """For W < N: a group number per cell, groups spatially compact with balanced total area.

    Recursive bisection of the cell centres: each set of cells is cut across its longer extent
    where the cumulative area splits in proportion to the wardens on each side.
    """
    group = np.zeros(len(x), np.int64)
    stack = [(np.arange(len(x)), n_groups, 0)]
    while stack:
        idx, k, first = stack.pop()
        if k == 1 or len(idx) == 1:
            group[idx] = first
            continue
        along = x[idx] if np.ptp(x[idx]) >= np.ptp(y[idx]) else y[idx]
        order = idx[np.argsort(along, kind="stable")]
        left_k = k // 2
        cum = np.cumsum(area[order])
        target = cum[-1] * left_k / k
        cut = int(np.clip(np.searchsorted(cum, target) + 1, left_k, len(order) - (k - left_k)))
        # take the cut on whichever side of the target lands closer
        if cut > left_k and abs(cum[cut - 2] - target) < abs(cum[cut - 1] - target):
            cut -= 1
        stack.append((order[:cut], left_k, first))
        stack.append((order[cut:], k - left_k, first + left_k))
    return group


def warden_name(name: str, *, where: str) -> str:
    """A warden's name, stripped: 1 to 120 characters (`where` prefixes the message)."""
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise InvalidInput.of("{where}a warden needs a name of 1 to 120 characters", where=where)
    return name


def warden_role(role: str | None, *, where: str) -> str:
    """A post's role in lower case, default member; one of ROLES (`where` prefixes the message)."""
    role = (role or "member").strip().lower()
    if role not in ROLES:
        raise InvalidInput.of(
            "{where}unknown role {role!r}: use one of {roles}",
            where=where,
            role=role,
            roles=", ".join(ROLES),
        )
    return role
