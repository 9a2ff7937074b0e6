"""Logging a round (the API, the warden's page, `gridmgr log`, the demo): only by a warden holding the
cell, never in the future, safe to retry with a key; stamped with the server's time of receipt and,
when the phone sent one, its position against the cell (the round as evidence)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import shapely
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gridmgr.db.models import Area, Assignment, Cell, GridPlan, Round, Warden
from gridmgr.db.queries import record_audit
from gridmgr.db.store import reading, transaction
from gridmgr.errors import Conflict, Forbidden, InvalidInput, NotFound, Phrase
from gridmgr.geometry.proximity import Proximity, proximity, radius_m
from gridmgr.rules.clock import parse_moment
from gridmgr.rules.evidence import Location, stamp_entry
from gridmgr.services.posts import active_cell

MAX_NOTE = 2000
MAX_KEY = 80
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class RoundRecord:
    """A logged round: which cell of which area, by whom, when (on the area's clock), with what note."""

    id: int
    area: str  # the area's slug
    cell: str  # the cell's code
    warden: str | None  # None once the warden was removed
    at: datetime
    note: str | None
    received_at: datetime | None = None  # when the server stored it
    late_entry: bool = False  # received more than 15 minutes after `at`
    backfilled: bool = False  # dated back by a manager
    entered_by: str | None = None  # the login (or "cli") that entered it
    location: Location | None = None  # where the phone was (WGS84)
    in_cell: bool | None = None  # None without a location
    distance_m: float | None = None  # metres from the cell (0 inside)

    @property
    def proven(self) -> bool:
        """Whether a position in the cell backs the round."""
        return bool(self.in_cell)


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
    location: Location | None = None,
    manager: bool = True,
) -> Recorded:
    """Log a round by a warden who holds the cell; returns the round and whether it is new.

    A retry with the same `idempotency_key` stores nothing and returns the round the key first made
    (a key already used for another cell or warden is a Conflict). A warden who does not hold the
    cell gets Forbidden; a time without offset is the area's local time; no time is now. `now` is
    the server's time of receipt (default the clock; the demo builds its day as of moments of its
    own): `at` follows the rules of `rules.evidence` (never ahead of it; a warden's entry, not
    `manager`, at most 24 hours back; late and backfilled stamps) and is not before 2000.

    A `location` is stored with its distance from the cell and `in_cell`. In an area that requires
    a location, a warden's round without one, or outside the cell, is refused (InvalidInput naming
    the distance, and the GCJ-02 datum when the position fits the cell read that way); managers'
    entries are not held to it (they are audited and count as rounds without proof).
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
            received = (now or datetime.now(UTC)).replace(microsecond=0)
            stamp = stamp_entry(_moment(at, tz), received, manager=manager, what=Phrase("a round"))
            near = _near(s, cell_id, location)
            if area.require_location and not manager:
                _check_proof(slug, code, location, near)
            row = Round(
                cell_id=cell_id,
                warden_id=w,
                at_s=int(stamp.at.timestamp()),
                note=note,
                idempotency_key=idempotency_key,
                received_at_s=int(received.timestamp()),
                late_entry=stamp.late_entry,
                backfilled=stamp.backfilled,
                entered_by=actor,
                lon=location.lon if location else None,
                lat=location.lat if location else None,
                accuracy_m=location.accuracy_m if location else None,
                in_cell=near.in_cell if near else None,
                distance_m=round(near.distance_m, 1) if near else None,
            )
            s.add(row)
            s.flush()
            record_audit(
                s, actor, "round.log", area.id, cell=code, warden=warden,
                at=stamp.at.isoformat(), **_evidence_details(stamp.late_entry, stamp.backfilled, near),
            )  # fmt: skip
            made = _record_of(row, slug, code, warden, tz)
    except IntegrityError:  # the same key from a concurrent retry won the race
        earlier = _by_key(engine, idempotency_key) if idempotency_key else None
        if earlier is None:
            raise
        return Recorded(_same_request(earlier, slug, code, warden), False)
    return Recorded(made, True)


def _moment(at: str | datetime | None, tz: ZoneInfo) -> datetime | None:
    """When a round was done as given (None: not given), not before 2000 (a mistyped year)."""
    if at is None:
        return None
    when = parse_moment(at, tz)
    try:
        stamp = when.timestamp()
    except (OverflowError, ValueError):
        stamp = float("-inf")
    if stamp < EARLIEST.timestamp():
        raise InvalidInput(f"{at!r} is before {EARLIEST.year}; check the year")
    return when


def _near(s: Session, cell_id: int, location: Location | None) -> Proximity | None:
    """The position against the cell, or None without a position."""
    if location is None:
        return None
    cell = shapely.from_wkb(s.execute(select(Cell.geometry).where(Cell.id == cell_id)).scalar_one())
    return proximity(cell, location.lon, location.lat, location.accuracy_m)


def _check_proof(slug: str, code: str, location: Location | None, near: Proximity | None) -> None:
    """In an area that requires a position: one was sent and it is in the cell."""
    if location is None or near is None:
        raise InvalidInput.of(
            "area {slug} requires a position with every round: allow the page to use the "
            "phone's location (GPS on) and log the round again",
            slug=slug,
        )
    if near.in_cell:
        return
    if near.gcj02_shifted:
        raise InvalidInput.of(
            "{m} m outside cell {code}: the position looks shifted by the GCJ-02 datum (a map "
            "app's coordinates, not the GPS's WGS84); send the phone's own WGS84 position",
            m=f"{near.distance_m:,.0f}",
            code=code,
        )
    raise InvalidInput.of(
        "{m} m outside cell {code}: a round is logged in its cell (within {r} m, the accuracy "
        "of the position); go to the cell and log it there",
        m=f"{near.distance_m:,.0f}",
        code=code,
        r=f"{radius_m(location.accuracy_m):,.0f}",
    )


def _evidence_details(late: bool, backfilled: bool, near: Proximity | None) -> dict[str, object]:
    """What the audit log keeps of a round's evidence (only what is not the ordinary case)."""
    details: dict[str, object] = {}
    if late:
        details["late_entry"] = True
    if backfilled:
        details["backfilled"] = True
    if near is not None:
        details["in_cell"] = near.in_cell
        details["distance_m"] = round(near.distance_m, 1)
    return details


def _by_key(engine: Engine, key: str) -> RoundRecord | None:
    with reading(engine) as s:
        row = s.execute(
            select(Round, Area.slug, Cell.code, Warden.name, Area.timezone)
            .join(Cell, Cell.id == Round.cell_id)
            .join(GridPlan, GridPlan.id == Cell.plan_id)
            .join(Area, Area.id == GridPlan.area_id)
            .outerjoin(Warden, Warden.id == Round.warden_id)
            .where(Round.idempotency_key == key)
        ).first()
        if row is None:
            return None
        r, slug, code, warden, tz = row
        return _record_of(r, slug, code, warden, ZoneInfo(tz))


def _same_request(earlier: RoundRecord, slug: str, code: str, warden: str) -> RoundRecord:
    if (earlier.area, earlier.cell, earlier.warden) != (slug, code, warden):
        raise Conflict(
            "this Idempotency-Key was already used for another round; use a new key for a new round"
        )
    return earlier


def _record_of(r: Round, slug: str, code: str, warden: str | None, tz: ZoneInfo) -> RoundRecord:
    """The record of a stored round, its times on the area's clock."""
    return record_of_round(r, slug, code, warden, tz)


def record_of_round(
    r: Round, slug: str, code: str, warden: str | None, tz: ZoneInfo
) -> RoundRecord:
    """A stored round as a RoundRecord, its times on the area's clock (the rounds list uses it)."""
    located = r.lon is not None and r.lat is not None
    return RoundRecord(
        id=int(r.id),
        area=slug,
        cell=code,
        warden=warden,
        at=datetime.fromtimestamp(int(r.at_s), tz),
        note=r.note,
        received_at=(
            datetime.fromtimestamp(int(r.received_at_s), tz)
            if r.received_at_s is not None
            else None
        ),
        late_entry=bool(r.late_entry),
        backfilled=bool(r.backfilled),
        entered_by=r.entered_by,
        location=Location(float(r.lon), float(r.lat), r.accuracy_m) if located else None,  # type: ignore[arg-type]
        in_cell=r.in_cell,
        distance_m=r.distance_m,
    )
