"""Checkpoints (卡点) and caps (限流): gates of an area and the wardens posted there with their shifts,
the area's caps and daily entry slots, and which checkpoints leave a gap (unstaffed or unattended)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import shapely
from sqlalchemy import Engine, bindparam, delete, select
from sqlalchemy.orm import Session

from gridmgr.db.models import (
    Area,
    AreaCap,
    CapacitySlot,
    Checkpoint,
    CheckpointDay,
    CheckpointPost,
    Warden,
    utcnow,
)
from gridmgr.db.queries import get_area, id_in_range, record_audit
from gridmgr.db.store import reading, transaction
from gridmgr.db.tree import children_slugs, subtree_ids
from gridmgr.errors import Conflict, InvalidInput, NotFound
from gridmgr.geometry.projection import metric_crs, to_metric
from gridmgr.rules.capacity import (
    Cap,
    Slot,
    checked_cap,
    checked_slots,
    checkpoint_state,
    minutes_of,
    parse_slot,
)
from gridmgr.rules.clock import parse_moment
from gridmgr.rules.staffing import warden_name

MAX_NAME = 120
NEAR_AREA_M = 1000.0  # a gate may stand on or just outside the boundary, not kilometres away


@dataclass(frozen=True)
class CheckpointPostInfo:
    """A warden posted at a checkpoint, with the shift (None: all day)."""

    warden: str
    shift: tuple[str, str] | None


@dataclass(frozen=True)
class CheckpointInfo:
    """A checkpoint: its id, area, name, point (WGS84) and the wardens posted there."""

    id: int
    area: str
    name: str
    lon: float
    lat: float
    posts: tuple[CheckpointPostInfo, ...]


@dataclass(frozen=True)
class CapacityInfo:
    """An area's caps and slots, and the limit they make (None: no limit)."""

    area: str
    cap: Cap
    slots: tuple[Slot, ...]
    children: int = 0  # a parent's child areas: its limit and slots are theirs summed
    children_limit: int | None = None

    @property
    def limit(self) -> int | None:
        """People allowed inside at once; a parent's is its children's summed."""
        return self.children_limit if self.children else self.cap.limit


@dataclass(frozen=True)
class SummedCapacity:
    """A parent area's limit and slots, from its children's (its own caps are its children's sum)."""

    limit: int | None
    slots: tuple[Slot, ...]
    children: int


@dataclass(frozen=True)
class CheckpointGap:
    """A checkpoint's state at a moment: unstaffed, unattended, off (shift not on) or ok."""

    id: int
    name: str
    state: str


@dataclass(frozen=True)
class CheckpointGaps:
    """The checkpoints of an area at a moment and which of them leave a gap."""

    total: int
    checkpoints: tuple[CheckpointGap, ...]

    @property
    def unstaffed(self) -> list[int]:
        """Checkpoints nobody is posted at."""
        return [c.id for c in self.checkpoints if c.state == "unstaffed"]

    @property
    def unattended(self) -> list[int]:
        """Checkpoints whose shift is on with no count logged since it began."""
        return [c.id for c in self.checkpoints if c.state == "unattended"]


NO_CHECKPOINTS = CheckpointGaps(0, ())  # an area without checkpoints


def add_checkpoint(
    engine: Engine, slug: str, *, name: str, lon: float, lat: float, actor: str = "cli"
) -> CheckpointInfo:
    """Add a named gate at a point (WGS84) in or near the area; one transaction, audited."""
    name = " ".join(str(name).split())
    if not name or len(name) > MAX_NAME:
        raise InvalidInput(f"a checkpoint needs a name of 1 to {MAX_NAME} characters")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidInput(
            f"{lon},{lat} is not a WGS84 point: give LON,LAT with -180 ≤ LON ≤ 180, -90 ≤ LAT ≤ 90"
        )
    with transaction(engine) as s:
        area = get_area(s, slug)
        _refuse_parent(s, area, "a checkpoint belongs to the child area it stands in: add it there")
        _check_near(area, lon, lat)
        taken = s.execute(
            select(Checkpoint.id).where(Checkpoint.area_id == area.id, Checkpoint.name == name)
        ).first()
        if taken is not None:
            raise Conflict(f"area {slug!r} already has a checkpoint named {name!r} (id {taken[0]})")
        row = Checkpoint(area_id=area.id, name=name, lon=float(lon), lat=float(lat))
        s.add(row)
        s.flush()
        record_audit(
            s, actor, "checkpoint.add", area.id, checkpoint=row.id, name=name, lon=lon, lat=lat
        )
        return CheckpointInfo(row.id, slug, name, row.lon, row.lat, ())


def _refuse_parent(s: Session, area: Area, why: str) -> None:
    """InvalidInput, saying `why`, when the area has child areas."""
    names = children_slugs(s, area.id)
    if names:
        raise InvalidInput(f"area {area.slug!r} has child areas ({', '.join(names)}); {why}")


def _check_near(area: Area, lon: float, lat: float) -> None:
    """InvalidInput for a point far from the area (swapped coordinates, another city)."""
    outline = shapely.from_wkb(area.geometry)
    point = shapely.Point(lon, lat)
    if outline.covers(point):
        return
    crs = metric_crs(outline)
    metres = float(shapely.distance(to_metric(outline, crs), to_metric(point, crs)))
    if metres > NEAR_AREA_M:
        raise InvalidInput(
            f"the point {lon},{lat} is {metres:,.0f} m from area {area.slug!r}; a checkpoint stands "
            f"in the area or within {NEAR_AREA_M:,.0f} m of it (give LON,LAT in that order, WGS84)"
        )


def checkpoint_of(s: Session, area: Area, checkpoint_id: int) -> Checkpoint:
    """The area's checkpoint with this id, or NotFound listing the area's checkpoints."""
    row = s.get(Checkpoint, id_in_range(checkpoint_id))
    if row is None or row.area_id != area.id:
        known = (
            s.execute(
                select(Checkpoint.id).where(Checkpoint.area_id == area.id).order_by(Checkpoint.id)
            )
            .scalars()
            .all()
        )
        listed = ", ".join(str(k) for k in known[:10]) or "none yet (gridmgr checkpoint add)"
        raise NotFound(
            f"area {area.slug!r} has no checkpoint {checkpoint_id}; its checkpoints: {listed}"
        )
    return row


def staff_checkpoint(
    engine: Engine,
    slug: str,
    checkpoint_id: int,
    warden: str,
    *,
    shift: str | None = None,
    actor: str = "cli",
) -> CheckpointInfo:
    """Post a warden at a checkpoint (again: change the shift), shift "HH:MM-HH:MM" or all day."""
    name = warden_name(warden, where="")
    hours = _shift(shift)
    with transaction(engine) as s:
        area = get_area(s, slug)
        gate = checkpoint_of(s, area, checkpoint_id)
        wid = s.execute(select(Warden.id).where(Warden.name == name)).scalar()
        if wid is None:
            raise NotFound(f"no warden named {name!r}; add them first (gridmgr warden add)")
        post = s.execute(
            select(CheckpointPost).where(
                CheckpointPost.checkpoint_id == gate.id, CheckpointPost.warden_id == wid
            )
        ).scalar_one_or_none()
        if post is None:
            post = CheckpointPost(checkpoint_id=gate.id, warden_id=wid)
            s.add(post)
        post.shift_start, post.shift_end = hours if hours else (None, None)
        record_audit(
            s, actor, "checkpoint.staff", area.id, checkpoint=gate.id, warden=name,
            shift="-".join(hours) if hours else "all day",
        )  # fmt: skip
        s.flush()
        return _infos(s, area, [gate])[0]


def _shift(text: str | None) -> tuple[str, str] | None:
    if text is None or not text.strip():
        return None
    start, sep, end = text.strip().partition("-")
    if not sep:
        raise InvalidInput(f"the shift {text!r} is not written HH:MM-HH:MM, such as 08:00-16:00")
    start, end = start.strip().zfill(5), end.strip().zfill(5)
    if minutes_of(end, end=True) <= minutes_of(start):
        raise InvalidInput(f"the shift {text} ends before it starts; a shift lies within one day")
    return start, end


def list_checkpoints(engine: Engine, slug: str) -> list[CheckpointInfo]:
    """The area's checkpoints in id order, with their posts."""
    with reading(engine) as s:
        area = get_area(s, slug)
        gates = (
            s.execute(
                select(Checkpoint).where(Checkpoint.area_id == area.id).order_by(Checkpoint.id)
            )
            .scalars()
            .all()
        )
        return _infos(s, area, list(gates))


def _infos(s: Session, area: Area, gates: list[Checkpoint]) -> list[CheckpointInfo]:
    posts: dict[int, list[CheckpointPostInfo]] = {}
    rows = s.execute(
        select(CheckpointPost.checkpoint_id, Warden.name, CheckpointPost.shift_start,
               CheckpointPost.shift_end)
        .join(Warden, Warden.id == CheckpointPost.warden_id)
        .where(CheckpointPost.checkpoint_id.in_([g.id for g in gates]))
        .order_by(Warden.name)
    ).all()  # fmt: skip
    for gid, name, start, end in rows:
        posts.setdefault(gid, []).append(
            CheckpointPostInfo(name, (start, end) if start and end else None)
        )
    return [
        CheckpointInfo(g.id, area.slug, g.name, g.lon, g.lat, tuple(posts.get(g.id, [])))
        for g in gates
    ]


def warden_checkpoints(engine: Engine, warden: str) -> list[CheckpointInfo]:
    """The checkpoints a warden is posted at, in every area (for the warden's own page)."""
    with reading(engine) as s:
        rows = s.execute(
            select(Checkpoint, Area)
            .join(Area, Area.id == Checkpoint.area_id)
            .join(CheckpointPost, CheckpointPost.checkpoint_id == Checkpoint.id)
            .join(Warden, Warden.id == CheckpointPost.warden_id)
            .where(Warden.name == warden)
            .order_by(Area.slug, Checkpoint.id)
        ).all()
        out: list[CheckpointInfo] = []
        for gate, area in rows:
            out.extend(_infos(s, area, [gate]))
        return out


def set_capacity(
    engine: Engine,
    slug: str,
    *,
    max_capacity: int | None = None,
    percent: float | str | Decimal | None = None,
    instant: int | None = None,
    slots: list[str] | None = None,
    actor: str = "cli",
) -> CapacityInfo:
    """Set the area's caps and slots (replacing the earlier ones whole); one transaction, audited.

    The limit on people inside is min(floor(max_capacity × percent / 100), instant); slots
    ("HH:MM-HH:MM=QUOTA") are daily entry quotas. Nothing given: the area has no caps.
    """
    cap = checked_cap(max_capacity, percent, instant)
    parsed = checked_slots([parse_slot(t) for t in slots or []])
    with transaction(engine) as s:
        area = get_area(s, slug)
        _refuse_parent(s, area, "a parent's cap is the sum of its children's: set caps on them")
        row = s.get(AreaCap, area.id)
        if row is None:
            row = AreaCap(area_id=area.id)
            s.add(row)
        row.max_capacity, row.instant = cap.max_capacity, cap.instant
        row.percent = None if cap.percent is None else str(cap.percent)
        row.updated_at = utcnow()
        s.execute(delete(CapacitySlot).where(CapacitySlot.area_id == area.id))
        s.add_all(
            CapacitySlot(area_id=area.id, slot_start=p.start, slot_end=p.end, quota=p.quota)
            for p in parsed
        )
        record_audit(
            s, actor, "capacity.set", area.id, max_capacity=cap.max_capacity,
            percent=row.percent, instant=cap.instant, limit=cap.limit,
            slots=[f"{p.label}={p.quota}" for p in parsed],
        )  # fmt: skip
    return CapacityInfo(slug, cap, tuple(parsed))


def capacity_of(s: Session, area: Area) -> CapacityInfo:
    """The area's caps and slots as stored (no row: no caps)."""
    return capacity_for(s, area.id, area.slug)


def capacity_for(s: Session, area_id: int, slug: str) -> CapacityInfo:
    """The caps and slots of the area with this id (and slug), as stored (no row: no caps)."""
    row = s.get(AreaCap, area_id)
    cap = Cap() if row is None else stored_cap(row.max_capacity, row.percent, row.instant)
    return CapacityInfo(slug, cap, slots_of(s, area_id))


def stored_cap(max_capacity: int | None, percent: str | None, instant: int | None) -> Cap:
    """A cap from its stored columns (the percentage is kept as decimal text)."""
    return Cap(max_capacity, None if percent is None else Decimal(percent), instant)


_SLOTS = (
    select(CapacitySlot.slot_start, CapacitySlot.slot_end, CapacitySlot.quota)
    .where(CapacitySlot.area_id == bindparam("area_id"))
    .order_by(CapacitySlot.slot_start)
)  # built once: a gate's every count reads it


def slots_of(s: Session, area_id: int) -> tuple[Slot, ...]:
    """The area's daily entry slots in the order of the day."""
    return tuple(Slot(a, b, q) for a, b, q in s.execute(_SLOTS, {"area_id": area_id}))


def summed_capacity(s: Session, area_id: int, below: list[int]) -> SummedCapacity:
    """A parent's limit and slots from the areas `below` it (its subtree, itself first): a parent's
    limit is the sum of its children's (None unless every child has one); its slots are its
    leaves' slots, the quotas of equal slots added."""
    rows = s.execute(select(Area.id, Area.parent_id).where(Area.id.in_(below))).all()
    parents = {int(a): p for a, p in rows}
    caps = {
        int(a): Cap(n, None if p is None else Decimal(p), i)
        for a, n, p, i in s.execute(
            select(AreaCap.area_id, AreaCap.max_capacity, AreaCap.percent, AreaCap.instant).where(
                AreaCap.area_id.in_(below)
            )
        )
    }
    kids: dict[int, list[int]] = {}
    for child, parent in parents.items():
        if child != area_id and parent is not None:
            kids.setdefault(int(parent), []).append(int(child))

    def limit(node: int) -> int | None:
        if node not in kids:  # a leaf: its own caps
            return caps.get(node, Cap()).limit
        limits = [limit(k) for k in kids[node]]
        return None if any(v is None for v in limits) else sum(v for v in limits if v is not None)

    leaves = [a for a in below if a not in kids]
    quotas: dict[tuple[str, str], int] = {}
    for start, end, quota in s.execute(
        select(CapacitySlot.slot_start, CapacitySlot.slot_end, CapacitySlot.quota).where(
            CapacitySlot.area_id.in_(leaves)
        )
    ):
        quotas[(start, end)] = quotas.get((start, end), 0) + int(quota)
    slots = tuple(Slot(a, b, q) for (a, b), q in sorted(quotas.items()))
    return SummedCapacity(limit(area_id), slots, len(kids.get(area_id, [])))


def get_capacity(engine: Engine, slug: str) -> CapacityInfo:
    """The area's caps and slots; a parent's are its children's summed."""
    with reading(engine) as s:
        area = get_area(s, slug)
        below = subtree_ids(s, area.id)
        if len(below) == 1:
            return capacity_of(s, area)
        summed = summed_capacity(s, area.id, below)
        return CapacityInfo(slug, Cap(), summed.slots, summed.children, summed.limit)


def checkpoint_gaps(
    engine: Engine, slug: str, *, at: str | datetime | None = None
) -> CheckpointGaps:
    """Each checkpoint's state at a moment (default now): unstaffed, unattended, off or ok."""
    with reading(engine) as s:
        area = get_area(s, slug)
        moment = parse_moment(at, ZoneInfo(area.timezone))
        if not 2000 <= moment.year <= 9000:
            raise InvalidInput(f"{at!r} is not a time from 2000 to 9000; check the year")
        return read_checkpoint_gaps(s, area, moment)


def read_checkpoint_gaps(s: Session, area: Area, moment: datetime) -> CheckpointGaps:
    """Each of the area's checkpoints' state at `moment` (aware), read in the caller's session (the
    coverage report reads them with its plan)."""
    tz = ZoneInfo(area.timezone)
    local = moment.astimezone(tz)
    day = local.date().isoformat()
    gates = s.execute(
        select(Checkpoint.id, Checkpoint.name)
        .where(Checkpoint.area_id == area.id)
        .order_by(Checkpoint.id)
    ).all()
    if not gates:
        return NO_CHECKPOINTS
    ids = [g[0] for g in gates]
    posts = s.execute(
        select(CheckpointPost.checkpoint_id, CheckpointPost.shift_start, CheckpointPost.shift_end)
        .where(CheckpointPost.checkpoint_id.in_(ids))
    ).all()  # fmt: skip
    last = dict(
        s.execute(
            select(CheckpointDay.checkpoint_id, CheckpointDay.last_at_s).where(
                CheckpointDay.checkpoint_id.in_(ids), CheckpointDay.day == day
            )
        ).all()
    )
    by_gate: dict[int, list[tuple[str, str] | None]] = {}
    for gid, start, end in posts:
        by_gate.setdefault(gid, []).append((start, end) if start and end else None)
    states = []
    for gid, name in gates:
        stamp = last.get(gid)
        minute = None
        if stamp is not None and stamp <= local.timestamp():
            seen = datetime.fromtimestamp(stamp, tz)
            minute = seen.hour * 60 + seen.minute
        shifts = by_gate.get(gid, [])
        found = [
            checkpoint_state(posted=1, shift=sh, local=local.time(), last_count_minute=minute)
            for sh in shifts
        ] or [checkpoint_state(posted=0, shift=None, local=local.time(), last_count_minute=None)]
        # several wardens: ok when any shift on now is attended; off when no shift is on
        state = next(
            (x for x in ("ok", "unattended", "off", "unstaffed") if x in found), "unstaffed"
        )
        states.append(CheckpointGap(gid, name, state))
    return CheckpointGaps(len(states), tuple(states))


def posted_in_area(engine: Engine, slug: str, warden: str) -> bool:
    """True when the warden is posted at any checkpoint of the area (it may then read its counts)."""
    with reading(engine) as s:
        area = get_area(s, slug)
        found = s.execute(
            select(CheckpointPost.id)
            .join(Checkpoint, Checkpoint.id == CheckpointPost.checkpoint_id)
            .join(Warden, Warden.id == CheckpointPost.warden_id)
            .where(Checkpoint.area_id == area.id, Warden.name == warden)
        ).first()
    return found is not None
