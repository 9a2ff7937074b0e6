"""The API's JSON of checkpoints, caps and counts (DESIGN.md, "Checkpoints and visitor caps"): plain
functions of the services' typed results, so `gridmgr … --json` prints what the API answers."""

from __future__ import annotations

from typing import Any

from gridmgr.services.checkpoints import CapacityInfo, CheckpointGaps, CheckpointInfo
from gridmgr.services.occupancy import CountResult, Curve, Occupancy, SlotUse


def count_to_json(made: CountResult) -> dict[str, Any]:
    """The answer to `POST …/checkpoints/{id}/counts` (a replay gives the same)."""
    return {
        "occupancy": made.occupancy,
        "limit": made.limit,
        "status": made.status,
        "id": made.id,
        "checkpoint": made.checkpoint,
        "in": made.n_in,
        "out": made.n_out,
        "at": made.at.isoformat(),
        "override": made.override,
    }


def _slot(use: SlotUse | None) -> dict[str, Any] | None:
    if use is None:
        return None
    return {"from": use.start, "to": use.end, "quota": use.quota, "entries": use.entries}


def occupancy_to_json(now: Occupancy) -> dict[str, Any]:
    """`GET /areas/{slug}/occupancy`: the contract's fields, then the day, caps and slots in force."""
    cap = now.cap
    return {
        "occupancy": now.occupancy,
        "limit": now.limit,
        "status": now.status,
        "entries_today": now.entries,
        "slots": [_slot(u) for u in now.slots],
        "checkpoints": [
            {
                "id": c.id,
                "name": c.name,
                "in": c.n_in,
                "out": c.n_out,
                "lon": c.lon,
                "lat": c.lat,
                "last_count": None if c.last_at is None else c.last_at.isoformat(),
            }
            for c in now.checkpoints
        ],
        "area": now.area,
        "name": now.name,
        "day": now.day.isoformat(),
        "at": now.at.isoformat(timespec="seconds"),
        "timezone": now.timezone,
        "exits_today": now.exits,
        "current_slot": _slot(now.current_slot),
        "next_slot": _slot(now.next_slot),
        "max_capacity": cap.max_capacity,
        "percent": None if cap.percent is None else float(cap.percent),
        "instant": cap.instant,
        "limit_from": "children" if now.children else "own",
    }


def curve_to_json(curve: Curve) -> dict[str, Any]:
    """`GET /areas/{slug}/occupancy/curve`: the day's occupancy per step (the highest in each)."""
    return {
        "area": curve.area,
        "day": curve.day.isoformat(),
        "step_min": curve.step_min,
        "limit": curve.limit,
        "times": list(curve.times),
        "occupancy": list(curve.occupancy),
    }


def checkpoint_to_json(gate: CheckpointInfo) -> dict[str, Any]:
    """A checkpoint with the wardens posted there and their shifts."""
    return {
        "id": gate.id,
        "area": gate.area,
        "name": gate.name,
        "lon": gate.lon,
        "lat": gate.lat,
        "wardens": [
            {"name": p.warden, "shift": None if p.shift is None else "-".join(p.shift)}
            for p in gate.posts
        ],
    }


def capacity_to_json(caps: CapacityInfo) -> dict[str, Any]:
    """An area's caps, slots and the limit they make."""
    cap = caps.cap
    return {
        "area": caps.area,
        "limit": caps.limit,
        "max_capacity": cap.max_capacity,
        "percent": None if cap.percent is None else float(cap.percent),
        "instant": cap.instant,
        "slots": [{"from": s.start, "to": s.end, "quota": s.quota} for s in caps.slots],
        "limit_from": "children" if caps.children else "own",
    }


def gaps_to_json(gaps: CheckpointGaps) -> dict[str, Any]:
    """The coverage report's `checkpoints` (`report_to_json` adds it): how many, the unstaffed and
    unattended (ids), each one's state."""
    return {
        "total": gaps.total,
        "unstaffed": gaps.unstaffed,
        "unattended": gaps.unattended,
        "states": [{"id": c.id, "name": c.name, "state": c.state} for c in gaps.checkpoints],
    }
