"""Moving a gridded area's cells down to its new children: each cell, with its wardens, schedule, rounds,
findings and the area's checkpoints, goes to the child that covers most of it (an area holds cells or
children, never both). Runs in the caller's transaction, so an import or an add is one write."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import CRS
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Table, bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from gridmgr.db.models import Area, AreaDay, Base, Cell, Checkpoint, Finding, GateEvent, GridPlan
from gridmgr.db.queries import active_plan, record_audit
from gridmgr.db.store import load_cells
from gridmgr.errors import Conflict, InvalidInput
from gridmgr.geometry.coverage import gaps_and_overlaps
from gridmgr.geometry.nesting import main_holder
from gridmgr.geometry.projection import metric_crs, to_metric

_SHOWN = 10  # cell codes named in a refusal


@dataclass(frozen=True)
class MovedCells:
    """What moved from a parent's plan to its children: cells per child slug, findings, checkpoints."""

    from_plan: int | None  # the parent's plan version that became history; None: nothing to move
    cells: dict[str, int]  # child slug -> cells it now holds
    findings: int
    checkpoints: int


def move_cells_to_children(
    s: Session, parent: Area, children: list[Area], *, actor: str
) -> MovedCells:
    """Give each child an active plan holding the parent's cells it covers most of; the parent's plan
    becomes inactive history. Cell rows keep their ids and codes, so posts, schedules, rounds and
    findings stay attached. A cell no child overlaps refuses the whole change (InvalidInput)."""
    plan = active_plan(s, parent.id)
    if plan is None:
        return MovedCells(None, {}, 0, 0)
    cells = load_cells(s, plan.id)
    parent_geom = shapely.from_wkb(parent.geometry)
    crs = metric_crs(parent_geom)
    kids = [shapely.from_wkb(c.geometry) for c in children]
    holder = main_holder(
        to_metric(np.asarray(cells.geometry.values), crs),
        to_metric(np.array(kids, dtype=object), crs),
    )
    orphans = [str(c) for c, h in zip(cells["code"], holder, strict=True) if h < 0]
    if orphans:
        raise InvalidInput.of(
            "area {slug!r} is gridded and {count} of its cells would belong to no child area "
            "({codes}); an area holds cells or child areas, not both: add children that cover all "
            "of its cells (or import them all at once with gridmgr area import); nothing was changed",
            slug=parent.slug,
            count=len(orphans),
            codes=", ".join(orphans[:_SHOWN]) + (", ..." if len(orphans) > _SHOWN else ""),
        )
    # the parent's version as read: a re-grid of it committed meanwhile makes this a Conflict
    bumped = s.execute(
        update(Area)
        .where(Area.id == parent.id, Area.version == parent.version)
        .values(version=Area.version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult
    if bumped != 1:
        raise Conflict.of(
            "area {slug!r} was re-gridded by someone else meanwhile; nothing was written — look at "
            "its new plan and try again",
            slug=parent.slug,
        )
    plan.active = False
    ids = cells["id"].to_numpy()
    moved: dict[str, int] = {}
    cell_moves: list[dict[str, int]] = []
    finding_moves: list[dict[str, int]] = []
    for k, child in enumerate(children):
        mine = np.flatnonzero(holder == k)
        if not len(mine):
            continue
        last = s.execute(
            select(func.max(GridPlan.version)).where(GridPlan.area_id == child.id)
        ).scalar()
        params = {"from": parent.slug, "plan_version": plan.version}
        new = GridPlan(
            area_id=child.id, version=(last or 0) + 1, active=True, mode="moved",
            params=json.dumps(params), created_by=actor,
        )  # fmt: skip
        s.add(new)
        s.flush()
        gaps, overlaps = gaps_and_overlaps(kids[k], np.asarray(cells.geometry.values)[mine])
        new.gaps, new.overlaps = shapely.to_wkb(gaps), shapely.to_wkb(overlaps)
        child.next_seq = max(child.next_seq, parent.next_seq)
        child.version += 1
        cell_moves += [{"cid": int(ids[j]), "pid": new.id} for j in mine]
        finding_moves += [{"cid": int(ids[j]), "aid": child.id} for j in mine]
        moved[child.slug] = len(mine)
    _executemany(s, Cell, "id", "cid", {"plan_id": "pid"}, cell_moves)
    before = s.execute(
        select(func.count()).select_from(Finding).where(Finding.area_id == parent.id)
    ).scalar_one()
    _executemany(s, Finding, "cell_id", "cid", {"area_id": "aid"}, finding_moves)
    after = s.execute(
        select(func.count()).select_from(Finding).where(Finding.area_id == parent.id)
    ).scalar_one()
    gates = _move_checkpoints(s, parent, children, kids, crs)
    record_audit(
        s, actor, "plan.move_to_children", parent.id, plan_version=plan.version, cells=moved,
        findings=before - after, checkpoints=gates,
    )  # fmt: skip
    return MovedCells(plan.version, moved, before - after, gates)


def _move_checkpoints(
    s: Session, parent: Area, children: list[Area], kids: list[BaseGeometry], crs: CRS
) -> int:
    """The parent's checkpoints (and their counts) to the child nearest each gate (the one it is in)."""
    gates = s.execute(select(Checkpoint).where(Checkpoint.area_id == parent.id)).scalars().all()
    if not gates or not children:
        return 0
    points = to_metric(shapely.points([g.lon for g in gates], [g.lat for g in gates]), crs)
    shapes = to_metric(np.array(kids, dtype=object), crs)
    gate_moves = []
    for gate, point in zip(gates, points, strict=True):
        nearest = int(np.argmin(shapely.distance(shapes, point)))
        gate_moves.append({"gid": gate.id, "aid": children[nearest].id})
    _executemany(s, Checkpoint, "id", "gid", {"area_id": "aid"}, gate_moves)
    _executemany(s, GateEvent, "checkpoint_id", "gid", {"area_id": "aid"}, gate_moves)
    _recount_days(s, [parent.id, *(c.id for c in children)])
    return len(gate_moves)


def _recount_days(s: Session, area_ids: list[int]) -> None:
    """These areas' day counters rebuilt from their gate events (the events moved with their gates,
    so each child's people inside are the ones its gates counted)."""
    sums = s.execute(
        select(
            GateEvent.area_id, GateEvent.day, GateEvent.slot,
            func.sum(GateEvent.n_in), func.sum(GateEvent.n_out),
        )
        .where(GateEvent.area_id.in_(area_ids))
        .group_by(GateEvent.area_id, GateEvent.day, GateEvent.slot)
    ).all()  # fmt: skip
    days: dict[tuple[int, str], tuple[int, int, dict[str, int]]] = {}
    for area_id, day, slot, n_in, n_out in sums:
        entries, exits, slots = days.get((int(area_id), day), (0, 0, {}))
        if slot is not None:
            slots[slot] = slots.get(slot, 0) + int(n_in)
        days[(int(area_id), day)] = (entries + int(n_in), exits + int(n_out), slots)
    s.execute(delete(AreaDay).where(AreaDay.area_id.in_(area_ids)))
    s.add_all(
        AreaDay(
            area_id=a,
            day=d,
            occupancy=n_in - n_out,
            entries=n_in,
            exits=n_out,
            slot_entries=json.dumps(slots, sort_keys=True),
        )
        for (a, d), (n_in, n_out, slots) in days.items()
    )


def _executemany(
    s: Session,
    model: type[Base],
    key: str,
    key_param: str,
    values: dict[str, str],
    rows: list[dict[str, int]],
) -> None:
    """UPDATE model SET column = :param ... WHERE key = :key_param, once per row (one executemany)."""
    if not rows:
        return
    table = model.__table__
    assert isinstance(table, Table)
    s.execute(
        update(table)
        .where(table.c[key] == bindparam(key_param))
        .values({col: bindparam(p) for col, p in values.items()}),
        rows,
    )
