"""Logging a round (the API, the warden's page, `gridmgr log`, the demo): only by a warden holding the
cell, never in the future, safe to retry with a key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from gridmgr.db.models import Area, Assignment, Cell, GridPlan, Round, Warden
from gridmgr.db.queries import record_audit
from gridmgr.db.store import reading, transaction
from gridmgr.errors import Conflict, Forbidden, InvalidInput, NotFound
from gridmgr.rules.clock import parse_moment
from gridmgr.services.posts import active_cell

MAX_NOTE = 2000
MAX_KEY = 80
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(minutes=5)  # clocks of phones drift; a round further ahead is refused


@dataclass(frozen=True)
class RoundRecord:
    """A logged round: which cell of which area, by whom, when (on the area's clock), with what note."""

    id: int
    area: str  # the area's slug
    cell: str  # the cell's code
    warden: str | None  # None once the warden was removed
    at: datetime
    note: str | None


@dataclass(frozen=True)
class Recorded:
    """The answer to logging a round: the round, and whether this call stored it (False: a retry
    with the same key, answered with the round the key first made)."""

    round: RoundRecord
    new: bool


def record_round(
    engine: Engine,
    slug: str,
    code: str,
    warden: str,
    *,
    at: str | datetime | None = None,
    note: str | None = None,
    idempotency_key: str | None = None,
    actor: str = "api",
    now: datetime | None = None,
) -> Recorded:
    """Log a round by a warden who holds the cell; returns the round and whether it is new.

    A retry with the same `idempotency_key` stores nothing and returns the round the key first made
    (a key already used for another cell or warden is a Conflict). A warden who does not hold the
    cell gets Forbidden; a time without offset is the area's local time; no time is now. A time
    more than FUTURE_SLACK after `now` (default the clock; the demo builds its day as of a moment
    of its own) or before 2000 is refused.
    """
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= MAX_KEY:
        raise InvalidInput(f"an Idempotency-Key needs 1 to {MAX_KEY} characters")
    if note is not None and len(note) > MAX_NOTE:
        raise InvalidInput(f"a note may be at most {MAX_NOTE:,} characters")
    if idempotency_key is not None:
        earlier = _by_key(engine, idempotency_key)
        if earlier is not None:
            return Recorded(_same_request(earlier, slug, code, warden), False)
    try:
        with transaction(engine) as s:
            area, cell_id = active_cell(s, slug, code)
            w = s.execute(select(Warden.id).where(Warden.name == warden)).scalar()
            if w is None:
                raise NotFound(f"no warden named {warden!r}")
            holds = s.execute(
                select(Assignment.id).where(
                    Assignment.cell_id == cell_id, Assignment.warden_id == w
                )
            ).first()
            if holds is None:
                raise Forbidden(
                    f"{warden} does not hold cell {code} of {slug}; only its wardens log rounds there"
                )
            tz = ZoneInfo(area.timezone)
            when = _moment(at, tz, now)
            row = Round(
                cell_id=cell_id,
                warden_id=w,
                at_s=int(when.timestamp()),
                note=note,
                idempotency_key=idempotency_key,
            )
            s.add(row)
            s.flush()
            record_audit(
                s, actor, "round.log", area.id, cell=code, warden=warden, at=when.isoformat()
            )
            made = _record(row.id, slug, code, warden, row.at_s, note, tz)
    except IntegrityError:  # the same key from a concurrent retry won the race
        earlier = _by_key(engine, idempotency_key) if idempotency_key else None
        if earlier is None:
            raise
        return Recorded(_same_request(earlier, slug, code, warden), False)
    return Recorded(made, True)


def _moment(at: str | datetime | None, tz: ZoneInfo, now: datetime | None) -> datetime:
    """When a round was done: not after `now` (default the clock), not before 2000 (a mistyped year)."""
    when = parse_moment(at, tz)
    try:
        stamp = when.timestamp()
    except (OverflowError, ValueError):
        stamp = float("-inf")
    if stamp < EARLIEST.timestamp():
        raise InvalidInput(f"{at!r} is before {EARLIEST.year}; check the year")
    if when > (now or datetime.now(UTC)) + FUTURE_SLACK:
        raise InvalidInput(f"{when.isoformat()} is in the future; log a round once it is done")
    return when


def _by_key(engine: Engine, key: str) -> RoundRecord | None:
    with reading(engine) as s:
        row = s.execute(
            select(
                Round.id, Area.slug, Cell.code, Warden.name, Round.at_s, Round.note, Area.timezone
            )
            .join(Cell, Cell.id == Round.cell_id)
            .join(GridPlan, GridPlan.id == Cell.plan_id)
            .join(Area, Area.id == GridPlan.area_id)
            .outerjoin(Warden, Warden.id == Round.warden_id)
            .where(Round.idempotency_key == key)
        ).first()
    if row is None:
        return None
    rid, slug, code, warden, at_s, note, tz = row
    return _record(rid, slug, code, warden, at_s, note, ZoneInfo(tz))


def _same_request(earlier: RoundRecord, slug: str, code: str, warden: str) -> RoundRecord:
    if (earlier.area, earlier.cell, earlier.warden) != (slug, code, warden):
        raise Conflict(
            "this Idempotency-Key was already used for another round; use a new key for a new round"
        )
    return earlier


def _record(
    rid: int, slug: str, code: str, warden: str | None, at_s: int, note: str | None, tz: ZoneInfo
) -> RoundRecord:
    return RoundRecord(int(rid), slug, code, warden, datetime.fromtimestamp(int(at_s), tz), note)
