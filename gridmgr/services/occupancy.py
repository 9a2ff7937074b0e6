"""Counting at the gates (限流): a count of people in and out at a checkpoint, taken under the area's
day lock so two gates racing at the limit never pass it, safe to replay with its key; the area's
occupancy now, and its day as a curve.

A count's transaction adds itself to the area's row for the day with one `UPDATE … RETURNING`, which
holds that row to the commit (on SQLite every write transaction begins IMMEDIATE and so is already
serial), checks the caps on the values before it (`rules.capacity.apply_count`; a refusal rolls the
whole count back), and inserts the event, all or nothing. The day's occupancy can always be recounted from the events (`recount`).
"""

from __future__ import annotations

import json
import typing
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import (
    CursorResult,
    Engine,
    Result,
    Table,
    bindparam,
    case,
    exists,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gridmgr.db.models import (
    Area,
    AreaCap,
    AreaDay,
    Checkpoint,
    CheckpointDay,
    CheckpointPost,
    GateEvent,
    Warden,
)
from gridmgr.db.queries import get_area, id_in_range, record_audit
from gridmgr.db.store import insert_if_missing, int_rows, reading, transaction
from gridmgr.db.tree import subtree_ids
from gridmgr.errors import Conflict, Forbidden, InvalidInput, NotFound
from gridmgr.rules.capacity import Cap, apply_count, next_slot, slot_at, status_of
from gridmgr.rules.clock import parse_moment
from gridmgr.rules.schedule import day_bounds
from gridmgr.services.checkpoints import (
    capacity_of,
    checkpoint_of,
    slots_of,
    stored_cap,
    summed_capacity,
)
from gridmgr.services.finding_views import Actor

MAX_KEY = 80
MAX_REASON = 500
WARDEN_PAST = timedelta(hours=24)  # an offline phone's counts arrive late, not days late
FUTURE_SLACK = timedelta(minutes=5)
CURVE_STEP_MIN = 10


@dataclass(frozen=True)
class CountResult:
    """An accepted count and the area's day after it (a replay of its key gives it again)."""

    id: int
    area: str
    checkpoint: int
    n_in: int
    n_out: int
    at: datetime  # on the area's clock
    occupancy: int
    limit: int | None
    override: bool

    @property
    def status(self) -> str:
        """open, near or full after the count."""
        return status_of(self.occupancy, self.limit)


@dataclass(frozen=True)
class SlotUse:
    """A slot of the day: local times, its quota and the entries it has taken."""

    start: str
    end: str
    quota: int
    entries: int


@dataclass(frozen=True)
class CheckpointCount:
    """A checkpoint's entries and exits today, and its last count."""

    id: int
    name: str
    lon: float
    lat: float
    n_in: int
    n_out: int
    last_at: datetime | None


@dataclass(frozen=True)
class Occupancy:
    """An area's day so far: people inside, the limit and status, entries and exits, slots, gates."""

    area: str
    name: str
    day: date
    timezone: str
    at: datetime
    occupancy: int
    cap: Cap
    entries: int
    exits: int
    slots: tuple[SlotUse, ...]
    current_slot: SlotUse | None
    next_slot: SlotUse | None
    checkpoints: tuple[CheckpointCount, ...]
    children: int = 0  # a parent's child areas: its figures are theirs summed
    children_limit: int | None = None  # a parent's limit: its children's summed

    @property
    def limit(self) -> int | None:
        """People allowed inside at once (None: no limit); a parent's is its children's summed."""
        return self.children_limit if self.children else self.cap.limit

    @property
    def status(self) -> str:
        """open, near or full."""
        return status_of(self.occupancy, self.limit)


@dataclass(frozen=True)
class Curve:
    """An area's occupancy over a day in steps: the highest count inside in each step."""

    area: str
    day: date
    step_min: int
    times: tuple[str, ...]  # HH:MM, the step's start on the area's clock
    occupancy: tuple[int, ...]
    limit: int | None


@dataclass(frozen=True)
class Recount:
    """A day's occupancy, entries and exits recounted from its events."""

    occupancy: int
    entries: int
    exits: int


def record_count(
    engine: Engine,
    slug: str,
    checkpoint_id: int,
    actor: Actor,
    *,
    n_in: int = 0,
    n_out: int = 0,
    at: str | datetime | None = None,
    override: bool = False,
    reason: str | None = None,
    idempotency_key: str | None = None,
) -> tuple[CountResult, bool]:
    """Count people in and out at a checkpoint; returns the count and whether it is new.

    A warden counts only at checkpoints it is posted at; a manager anywhere, and may override the
    caps with a reason (audited). Entries past the limit or the slot's quota raise AtCapacity and
    write nothing. A retry with the same `idempotency_key` writes nothing and returns the first
    answer, also when the two race (the key is unique in the database).
    """
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= MAX_KEY:
        raise InvalidInput(f"an Idempotency-Key needs 1 to {MAX_KEY} characters")
    if override:
        if not actor.manages:
            raise Forbidden("only a manager may override a cap")
        if not reason or not reason.strip() or len(reason) > MAX_REASON:
            raise InvalidInput(
                f'an override needs a "reason" of 1 to {MAX_REASON} characters; it is audited'
            )
    try:
        made = _count(
            engine, slug, checkpoint_id, actor, n_in=n_in, n_out=n_out, at=at,
            override=override, reason=reason, key=idempotency_key,
        )  # fmt: skip
    except (IntegrityError, _Replayed):  # the same key from a concurrent retry won the race
        earlier = _by_key(engine, idempotency_key) if idempotency_key else None
        if earlier is None:
            raise
        return _same_request(earlier, slug, checkpoint_id), False
    return made, True


def _rows(result: Result[Any]) -> int:
    """The rows an UPDATE changed (SQLAlchemy types its result as a plain Result)."""
    return typing.cast(CursorResult[Any], result).rowcount


_DAYS = typing.cast(Table, AreaDay.__table__)
_ADD_TO_DAY = (
    update(_DAYS)
    .where(_DAYS.c.area_id == bindparam("area"), _DAYS.c.day == bindparam("on_day"))
    .values(
        occupancy=_DAYS.c.occupancy + bindparam("add_in") - bindparam("add_out"),
        entries=_DAYS.c.entries + bindparam("add_in"),
        exits=_DAYS.c.exits + bindparam("add_out"),
    )
    .returning(
        _DAYS.c.id,
        _DAYS.c.occupancy - bindparam("add_in") + bindparam("add_out"),
        _DAYS.c.entries - bindparam("add_in"),
        _DAYS.c.exits - bindparam("add_out"),
        _DAYS.c.slot_entries,
    )
)  # built once: every count runs it


def _add_to_day(s: Session, area_id: int, day: str, n_in: int, n_out: int) -> tuple[int, Any]:
    """Add a count to the area's row of the day, which stays locked to the commit (two gates racing
    queue here, and only here); the row's id and its values before (made first if missing: two
    gates counting the day's first people at once make one row)."""
    values = {"area": area_id, "on_day": day, "add_in": n_in, "add_out": n_out}
    row = s.execute(_ADD_TO_DAY, values).first()
    if row is None:
        insert_if_missing(
            s, AreaDay,
            {"area_id": area_id, "day": day, "occupancy": 0, "entries": 0, "exits": 0,
             "slot_entries": "{}"},
        )  # fmt: skip
        row = s.execute(_ADD_TO_DAY, values).one()
    return int(row[0]), row[1:]


_GATE_DAYS = typing.cast(Table, CheckpointDay.__table__)
_ADD_TO_GATE_DAY = (
    update(_GATE_DAYS)
    .where(_GATE_DAYS.c.checkpoint_id == bindparam("gate"), _GATE_DAYS.c.day == bindparam("on_day"))
    .values(
        entries=_GATE_DAYS.c.entries + bindparam("add_in"),
        exits=_GATE_DAYS.c.exits + bindparam("add_out"),
        last_at_s=case(
            (
                or_(
                    _GATE_DAYS.c.last_at_s.is_(None),
                    _GATE_DAYS.c.last_at_s < bindparam("stamp"),
                ),
                bindparam("stamp"),
            ),
            else_=_GATE_DAYS.c.last_at_s,
        ),
    )
)  # built once: every count runs it (the gate's latest count, whatever order counts arrive in)
_EVENTS = typing.cast(Table, GateEvent.__table__)
_INSERT_EVENT = insert(_EVENTS).returning(_EVENTS.c.id)

_GATE = (
    select(
        Area.id,
        Area.timezone,
        Checkpoint.name,
        exists()
        .where(
            CheckpointPost.checkpoint_id == Checkpoint.id,
            CheckpointPost.warden_id == Warden.id,
            Warden.name == bindparam("warden"),
        )
        .label("posted"),
        exists().where(GateEvent.idempotency_key == bindparam("key")).label("replayed"),
        AreaCap.max_capacity,
        AreaCap.percent,
        AreaCap.instant,
        AreaCap.area_id,
    )
    .join(Checkpoint, Checkpoint.area_id == Area.id)
    .outerjoin(AreaCap, AreaCap.area_id == Area.id)
    .where(Area.slug == bindparam("slug"), Checkpoint.id == bindparam("gate"))
)  # built once: every count runs it


class _Replayed(Exception):
    """The key was stored by a concurrent retry while this one waited for the lock."""


def _count(
    engine: Engine,
    slug: str,
    checkpoint_id: int,
    actor: Actor,
    *,
    n_in: int,
    n_out: int,
    at: str | datetime | None,
    override: bool,
    reason: str | None,
    key: str | None,
) -> CountResult:
    with transaction(engine) as s:
        # one query for what a count checks first: the area's clock, the checkpoint, the counting
        # warden's post there, the key's earlier use and the caps (not the area's outline: counts
        # are many); the slots in a second
        found = s.execute(
            _GATE,
            {"slug": slug, "gate": id_in_range(checkpoint_id), "warden": actor.warden or "",
             "key": key},
        ).first()  # fmt: skip
        if found is None:  # say which of the two is missing
            checkpoint_of(s, get_area(s, slug), checkpoint_id)
            raise NotFound(f"area {slug!r} has no checkpoint {checkpoint_id}")
        area_id, timezone, gate_name, posted, replayed, most, percent, instant, capped = found
        if not actor.manages and (actor.warden is None or not posted):
            raise Forbidden(
                f"you are not posted at checkpoint {checkpoint_id} ({gate_name}) of {slug}; only "
                "its wardens count there"
            )
        tz = ZoneInfo(timezone)
        when = _moment(at, tz, manager=actor.manages)
        local = when.astimezone(tz)
        day = local.date().isoformat()
        limit = (Cap() if capped is None else stored_cap(most, percent, instant)).limit
        slots = list(slots_of(s, area_id))
        slot = slot_at(slots, local.time())
        if replayed:
            raise _Replayed  # a retry whose first try was stored: its answer, nothing written
        stamp = int(when.timestamp())
        # the gate's own row first (only this gate's counts wait for it), the area's day last: it is
        # held to the commit, so as little as possible runs after it
        gate_day = {"gate": checkpoint_id, "on_day": day, "add_in": n_in, "add_out": n_out,
                    "stamp": stamp}  # fmt: skip
        if _rows(s.execute(_ADD_TO_GATE_DAY, gate_day)) == 0:  # the gate's first count today
            insert_if_missing(
                s, CheckpointDay,
                {"checkpoint_id": checkpoint_id, "day": day, "entries": 0, "exits": 0,
                 "last_at_s": None},
            )  # fmt: skip
            s.execute(_ADD_TO_GATE_DAY, gate_day)
        day_id, (occupancy, entries, exits, slot_text) = _add_to_day(s, area_id, day, n_in, n_out)
        per_slot: dict[str, int] = json.loads(slot_text or "{}")
        counted = apply_count(
            occupancy=occupancy, entries=entries, exits=exits, n_in=n_in, n_out=n_out,
            limit=limit, slots=slots, slot=slot,
            slot_entries=per_slot.get(slot.label, 0) if slot else 0, override=override,
        )  # fmt: skip  # refused: the exception rolls the whole count back
        if slot is not None and counted.slot_entries is not None and n_in:
            per_slot[slot.label] = counted.slot_entries
            s.execute(
                update(AreaDay)
                .where(AreaDay.id == day_id)
                .values(slot_entries=json.dumps(per_slot, sort_keys=True))
            )
        event_id = s.execute(
            _INSERT_EVENT,
            {"area_id": area_id, "checkpoint_id": checkpoint_id, "day": day, "at_s": stamp,
             "received_at_s": int(datetime.now(UTC).timestamp()), "n_in": n_in, "n_out": n_out,
             "entered_by": actor.name, "override": override,
             "reason": reason if override else None, "idempotency_key": key,
             "occupancy_after": counted.occupancy, "limit_after": limit,
             "slot": slot.label if slot else None},
        ).scalar_one()  # fmt: skip
        if override:
            record_audit(
                s, actor.name, "count.override", area_id, checkpoint=checkpoint_id, n_in=n_in,
                n_out=n_out, at=local.isoformat(), reason=reason, occupancy=counted.occupancy,
                limit=limit,
            )  # fmt: skip
        return CountResult(
            int(event_id), slug, checkpoint_id, n_in, n_out, datetime.fromtimestamp(stamp, tz),
            counted.occupancy, limit, override,
        )  # fmt: skip


def _checked_moment(at: str | datetime | None, tz: ZoneInfo) -> datetime:
    """A moment on the area's clock from 2000 to 9000 (a mistyped year otherwise)."""
    when = parse_moment(at, tz)
    if not 2000 <= when.year <= 9000:
        raise InvalidInput(f"{at!r} is not a time from 2000 to 9000; check the year")
    return when


def _moment(at: str | datetime | None, tz: ZoneInfo, *, manager: bool) -> datetime:
    """When people passed: not in the future; a warden's no more than 24 hours back."""
    when = _checked_moment(at, tz)
    now = datetime.now(UTC)
    if when > now + FUTURE_SLACK:
        raise InvalidInput(f"{when.isoformat()} is in the future; count people once they pass")
    if not manager and when < now - WARDEN_PAST:
        raise InvalidInput(
            f"{when.isoformat()} is more than 24 hours ago; a manager may enter older counts"
        )
    return when


def _by_key(engine: Engine, key: str) -> CountResult | None:
    with reading(engine) as s:
        found = s.execute(
            select(GateEvent, Checkpoint.area_id)
            .join(Checkpoint, Checkpoint.id == GateEvent.checkpoint_id)
            .where(GateEvent.idempotency_key == key)
        ).first()
        if found is None:
            return None
        event = found[0]
        area = s.get(Area, event.area_id)
        assert area is not None  # the event's area is there: cascades delete both
        tz = ZoneInfo(area.timezone)
        return CountResult(
            event.id, area.slug, event.checkpoint_id, event.n_in, event.n_out,
            datetime.fromtimestamp(event.at_s, tz), event.occupancy_after, event.limit_after,
            event.override,
        )  # fmt: skip


def _same_request(earlier: CountResult, slug: str, checkpoint_id: int) -> CountResult:
    if (earlier.area, earlier.checkpoint) != (slug, checkpoint_id):
        raise Conflict(
            "this Idempotency-Key was already used for a count at another checkpoint; use a new "
            "key for a new count"
        )
    return earlier


def occupancy(engine: Engine, slug: str, *, at: str | datetime | None = None) -> Occupancy:
    """The area's day so far (default: today on its clock): people inside, the limit and status,
    entries and exits, each slot's entries, the current and next slot, and each checkpoint's counts."""
    with reading(engine) as s:
        area = get_area(s, slug)
        tz = ZoneInfo(area.timezone)
        local = _checked_moment(at, tz).astimezone(tz)
        day = local.date().isoformat()
        below = subtree_ids(s, area.id)  # a parent counts its children's gates
        caps = capacity_of(s, area)
        summed = summed_capacity(s, area.id, below) if len(below) > 1 else None
        slots_in_force = list(summed.slots if summed else caps.slots)
        days = s.execute(
            select(AreaDay.occupancy, AreaDay.entries, AreaDay.exits, AreaDay.slot_entries).where(
                AreaDay.area_id.in_(below), AreaDay.day == day
            )
        ).all()
        gates = s.execute(
            select(
                Checkpoint.id, Checkpoint.name, Checkpoint.lon, Checkpoint.lat,
                CheckpointDay.entries, CheckpointDay.exits, CheckpointDay.last_at_s,
            )
            .outerjoin(
                CheckpointDay,
                (CheckpointDay.checkpoint_id == Checkpoint.id) & (CheckpointDay.day == day),
            )
            .where(Checkpoint.area_id.in_(below))
            .order_by(Checkpoint.id)
        ).all()  # fmt: skip
        name, timezone = area.name, area.timezone
    inside, entries, exits = (sum(int(d[k]) for d in days) for k in range(3))
    per_slot: dict[str, int] = {}
    for d in days:
        for label, n in json.loads(d[3] or "{}").items():
            per_slot[label] = per_slot.get(label, 0) + int(n)
    uses = tuple(SlotUse(p.start, p.end, p.quota, per_slot.get(p.label, 0)) for p in slots_in_force)
    now_slot = slot_at(slots_in_force, local.time())
    coming = next_slot(slots_in_force, local.time())
    return Occupancy(
        area=slug,
        name=name,
        day=local.date(),
        timezone=timezone,
        at=local,
        occupancy=int(inside),
        cap=caps.cap,
        entries=int(entries),
        exits=int(exits),
        slots=uses,
        current_slot=next((u for u in uses if now_slot and u.start == now_slot.start), None),
        next_slot=next((u for u in uses if coming and u.start == coming.start), None),
        checkpoints=tuple(
            CheckpointCount(
                int(gid),
                gname,
                float(lon),
                float(lat),
                int(n_in or 0),
                int(n_out or 0),
                None if last is None else datetime.fromtimestamp(last, tz),
            )
            for gid, gname, lon, lat, n_in, n_out, last in gates
        ),
        children=summed.children if summed else 0,
        children_limit=summed.limit if summed else None,
    )


def _day_events(
    engine: Engine, slug: str, day: date | None
) -> tuple[date, ZoneInfo, int | None, np.ndarray]:
    """A day's limit and its events (the area's and every area's below it) as an (n, 3) array of
    at_s, in, out, in the order they were stored."""
    with reading(engine) as s:
        area = get_area(s, slug)
        tz = ZoneInfo(area.timezone)
        target = day or datetime.now(tz).date()
        below = subtree_ids(s, area.id)  # a parent's day is its children's
        limit = (
            summed_capacity(s, area.id, below).limit
            if len(below) > 1
            else capacity_of(s, area).limit
        )
        # as one text the database joins (a busy day's 30,000 events as row objects held the
        # server's other threads for half a second); ordered by id here
        rows = int_rows(
            s,
            select(GateEvent.id, GateEvent.at_s, GateEvent.n_in, GateEvent.n_out).where(
                GateEvent.area_id.in_(below), GateEvent.day == target.isoformat()
            ),
        )
    return target, tz, limit, rows[np.argsort(rows[:, 0]), 1:]


def occupancy_curve(
    engine: Engine, slug: str, *, day: date | None = None, step_min: int = CURVE_STEP_MIN
) -> Curve:
    """The area's occupancy through a day (default today) in steps of `step_min` minutes, each the
    highest count inside during the step, up to now for today."""
    if not 1 <= step_min <= 240:
        raise InvalidInput("the curve's step must be 1 to 240 minutes")
    target, tz, limit, events = _day_events(engine, slug, day)
    start, end = day_bounds(target, tz)
    now = datetime.now(UTC).timestamp()
    last = min(end, now) if start <= now else end
    n = max(int(np.ceil((last - start) / (step_min * 60))), 1)
    peak = np.full(n, -1, dtype=np.int64)
    if len(events):
        order = np.argsort(events[:, 0], kind="stable")  # by when people passed
        inside = np.cumsum(events[order, 1] - events[order, 2])
        step = np.clip((events[order, 0] - start) // (step_min * 60), 0, n - 1).astype(np.int64)
        np.maximum.at(peak, step, inside)
        # a step with no count keeps the level the previous step ended at
        end_level = np.full(n, -1, dtype=np.int64)
        end_level[step] = inside  # the last event of each step wins (they are in time order)
    else:
        end_level = np.full(n, -1, dtype=np.int64)
    carried = 0
    for k in range(n):
        peak[k] = max(peak[k], carried)
        if end_level[k] >= 0:
            carried = int(end_level[k])
    times = tuple(
        (datetime.combine(target, time(0), tz) + timedelta(minutes=step_min * k))
        .astimezone(tz)
        .strftime("%H:%M")
        for k in range(n)
    )
    return Curve(slug, target, step_min, times, tuple(int(v) for v in peak), limit)


def recount(engine: Engine, slug: str, *, day: date | None = None) -> Recount:
    """The day's occupancy, entries and exits from its events alone (the counter must agree)."""
    _, _, _, events = _day_events(engine, slug, day)
    entries, exits = int(events[:, 1].sum()), int(events[:, 2].sum())
    return Recount(entries - exits, entries, exits)
