"""Findings (问题清单): recording a problem found in a cell, fixing, closing, reopening, extending, and
adding photos; each change one transaction with a FindingEvent and an audit line. Nothing is deleted.

Who may do what (DESIGN.md, Roles) is checked here, on the finding itself: a warden records findings
only in cells it holds and reports fixes only of findings it is the responsible person of; managers
(and the CLI) close, reopen and extend; planners read.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import shapely
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gridmgr.db.models import (
    Cell,
    Finding,
    FindingEvent,
    Photo,
)
from gridmgr.db.queries import id_in_range, record_audit
from gridmgr.db.store import reading, transaction
from gridmgr.errors import Conflict, Forbidden, InvalidInput, LimitExceeded, NotFound, Phrase
from gridmgr.files.photos import Photo as PhotoFile
from gridmgr.files.photos import photo_from_bytes
from gridmgr.geometry.projection import metric_crs, to_metric
from gridmgr.rules.clock import parse_moment
from gridmgr.rules.evidence import stamp_entry
from gridmgr.rules.rectification import (
    MAX_NOTE,
    MAX_PERSON,
    MAX_TEXT,
    MAX_UNIT,
    check_extension,
    check_plan,
    checked_text,
    next_status,
    parse_day,
)
from gridmgr.services.categories import resolve_category
from gridmgr.services.finding_views import (
    CLI,
    MANAGERS,
    Actor,
    EventView,
    FindingView,
    PhotoRef,
    finding_views,
    get_finding,
    holds_cell,
    in_charge,
    load_finding,
    may_fix,
    now_s,
    warden_findings,
    warden_id_of,
    warden_sees,
)
from gridmgr.services.posts import active_cell

__all__ = [  # the views are used through this module too
    "CLI", "Actor", "EventView", "FindingView", "NewFinding", "PhotoRef", "add_photo",
    "close_finding", "extend_finding", "finding_views", "fix_finding", "get_finding", "may_fix",
    "photo_data", "record_finding", "reopen_finding", "warden_findings",
]  # fmt: skip

PHOTOS_PER_STAGE = 5  # at most this many photos of a finding, and of its fix
NEAR_M = 200  # a finding's point lies in its cell or at most this far from it
MAX_KEY = 80
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


# --- recording -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewFinding:
    """What a finding is recorded with (checked by `record_finding`)."""

    category: str
    text: str
    by: str | None = None  # the warden who found it (managers and the CLI may name one)
    at: str | datetime | None = None
    lon: float | None = None
    lat: float | None = None
    fixed_now: bool = False
    note: str | None = None
    deadline: str | None = None
    unit: str | None = None
    person: str | None = None


def record_finding(
    engine: Engine,
    slug: str,
    code: str,
    new: NewFinding,
    actor: Actor,
    *,
    photos: Sequence[tuple[str, bytes]] = (),
    idempotency_key: str | None = None,
) -> tuple[FindingView, bool]:
    """Record a finding in a cell of the area's active plan; returns it and whether it is new.

    Fixed on the spot it is closed at once (rectified, with the note); otherwise it is open with a
    deadline, a responsible unit and person. `photos` (name, bytes) are checked and stored with it,
    all in one transaction. A retry with the same `idempotency_key` stores nothing and returns the
    finding the key first made (the key used for another cell or text is a Conflict).
    """
    if actor.role not in ("warden", *MANAGERS):
        raise Forbidden.of(
            "only wardens and managers record findings; you are {role}", role=actor.role
        )
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= MAX_KEY:
        raise InvalidInput(f"an Idempotency-Key needs 1 to {MAX_KEY} characters")
    text = checked_text(new.text, Phrase("the text"), max_len=MAX_TEXT)
    note = checked_text(new.note, Phrase("the note"), max_len=MAX_NOTE, required=False)
    unit = checked_text(
        new.unit, Phrase("the unit"), max_len=MAX_UNIT, required=False, multiline=False
    )
    person = checked_text(
        new.person, Phrase("the person"), max_len=MAX_PERSON, required=False, multiline=False
    )
    by = checked_text(
        new.by, Phrase("the finder"), max_len=MAX_PERSON, required=False, multiline=False
    )
    deadline = parse_day(new.deadline, Phrase("the deadline")) if new.deadline is not None else None
    _check_location(new.lon, new.lat)
    if len(photos) > PHOTOS_PER_STAGE:
        raise LimitExceeded(f"at most {PHOTOS_PER_STAGE} photos per finding; got {len(photos)}")
    if idempotency_key is not None:
        earlier = _by_key(engine, idempotency_key)
        if earlier is not None:
            return _same_request(earlier, slug, code, text), False
    processed = [photo_from_bytes(data, name=name) for name, data in photos]
    try:
        with transaction(engine) as s:
            area, cell_id = active_cell(s, slug, code)
            tz = ZoneInfo(area.timezone)
            finder = by
            finder_id = warden_id_of(s, by) if by else None
            if actor.role == "warden":
                wid = warden_id_of(s, actor.warden)
                if by not in (None, actor.warden):
                    raise Forbidden("a warden records findings only as itself")
                if not holds_cell(s, wid, cell_id):
                    raise Forbidden.of(
                        "you do not hold cell {code} of area {slug}; a warden records findings "
                        "only in its own cells",
                        code=code,
                        slug=slug,
                    )
                finder, finder_id = actor.warden, wid
            elif by is not None and finder_id is None:
                raise NotFound.of("no warden named {warden!r}", warden=by)
            category = resolve_category(s, new.category)
            when = _moment(new.at, tz, manager=actor.role != "warden")
            found_day = when.astimezone(tz).date()
            check_plan(
                fixed_now=new.fixed_now,
                deadline=deadline,
                unit=unit,
                person=person,
                found=found_day,
            )
            if new.lon is not None and new.lat is not None:
                _check_near_cell(s, cell_id, code, new.lon, new.lat)
            now = now_s()
            found_s = int(when.timestamp())
            row = Finding(
                area_id=area.id,
                cell_id=cell_id,
                cell_code=code,
                category_id=category.id,
                text=text,
                found_by=finder or actor.name,
                found_by_warden_id=finder_id,
                found_at_s=found_s,
                received_at_s=now,
                lon=new.lon,
                lat=new.lat,
                mode="on_spot" if new.fixed_now else "deadline",
                deadline=deadline.isoformat() if deadline else None,
                unit=unit,
                person=person,
                person_warden_id=warden_id_of(s, person),
                status="closed" if new.fixed_now else "open",
                closed_as="rectified" if new.fixed_now else None,
                note=note,
                fixed_at_s=found_s if new.fixed_now else None,
                closed_at_s=found_s if new.fixed_now else None,
                idempotency_key=idempotency_key,
            )
            s.add(row)
            s.flush()
            event = FindingEvent(
                finding_id=row.id,
                at_s=now,
                actor=actor.name,
                action="recorded",
                note=note,
                details=json.dumps(
                    {"mode": row.mode, "deadline": row.deadline}, ensure_ascii=False
                ),
            )
            s.add(event)
            s.flush()
            _store_photos(s, row.id, event.id, processed, actor.name)
            record_audit(
                s, actor.name, "finding.add", area.id, finding=row.id, cell=code,
                category=category.key, mode=row.mode, photos=len(processed),
            )  # fmt: skip
            made = finding_views(s, [row.id])[0]
    except IntegrityError:  # the same key from a concurrent retry won the race
        earlier = _by_key(engine, idempotency_key) if idempotency_key else None
        if earlier is None:
            raise
        return _same_request(earlier, slug, code, text), False
    return made, True


def _moment(at: str | datetime | None, tz: ZoneInfo, *, manager: bool) -> datetime:
    """When a problem was found: by the rules of `rules.evidence` against the server's clock (a
    warden's at most 24 hours back, never ahead), not before 2000 (a mistyped year)."""
    received = datetime.now(UTC).replace(microsecond=0)
    if at is None:
        return received
    when = parse_moment(at, tz)
    try:
        stamp = when.timestamp()
    except (OverflowError, ValueError):
        stamp = float("-inf")
    if stamp < EARLIEST.timestamp():
        raise InvalidInput.of("{at!r} is before {year}; check the year", at=str(at), year=2000)
    return stamp_entry(when, received, manager=manager, what=Phrase("a finding")).at


def _check_location(lon: float | None, lat: float | None) -> None:
    if (lon is None) != (lat is None):
        raise InvalidInput('a location needs both "lon" and "lat"')
    if lon is None or lat is None:
        return
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidInput(
            f"the location ({lon}, {lat}) is not a WGS84 longitude, latitude; send lon first"
        )


def _check_near_cell(s: Session, cell_id: int, code: str, lon: float, lat: float) -> None:
    """The point lies in the cell or within NEAR_M metres of it."""
    cell = shapely.from_wkb(s.execute(select(Cell.geometry).where(Cell.id == cell_id)).scalar_one())
    point = shapely.Point(lon, lat)
    if shapely.intersects(cell, point):
        return
    crs = metric_crs(cell)
    distance = float(shapely.distance(to_metric(cell, crs), to_metric(point, crs)))
    if distance > NEAR_M:
        raise InvalidInput.of(
            "the location is {m} m from cell {code}; a finding's point lies in its cell or at "
            "most {near} m from it",
            m=f"{distance:,.0f}",
            code=code,
            near=NEAR_M,
        )


def _store_photos(
    s: Session, finding_id: int, event_id: int, photos: Sequence[PhotoFile], actor: str
) -> list[int]:
    ids = []
    for p in photos:
        row = Photo(
            finding_id=finding_id,
            event_id=event_id,
            sha256=p.sha256,
            mime=p.mime,
            width=p.width,
            height=p.height,
            data=p.data,
            thumb=p.thumb,
            exif_lon=p.exif_lon,
            exif_lat=p.exif_lat,
            uploaded_by=actor,
        )
        s.add(row)
        s.flush()
        ids.append(row.id)
    return ids


def _by_key(engine: Engine, key: str) -> FindingView | None:
    with reading(engine) as s:
        fid = s.execute(select(Finding.id).where(Finding.idempotency_key == key)).scalar()
        return finding_views(s, [fid])[0] if fid is not None else None


def _same_request(earlier: FindingView, slug: str, code: str, text: str | None) -> FindingView:
    if (earlier.area, earlier.cell, earlier.text) != (slug, code, text):
        raise Conflict(
            "this Idempotency-Key was already used for another finding; use a new key for a new one"
        )
    return earlier


# --- changing a finding ----------------------------------------------------------------------------


def fix_finding(
    engine: Engine,
    finding_id: int,
    actor: Actor,
    *,
    note: str | None = None,
    photos: Sequence[tuple[str, bytes]] = (),
) -> FindingView:
    """The responsible reports the problem fixed (with a note or photos); a manager then closes it."""
    note = checked_text(note, Phrase("the note"), max_len=MAX_NOTE, required=False)
    if len(photos) > PHOTOS_PER_STAGE:
        raise LimitExceeded(f"at most {PHOTOS_PER_STAGE} photos per fix; got {len(photos)}")
    processed = [photo_from_bytes(data, name=name) for name, data in photos]
    with transaction(engine) as s:
        finding = load_finding(s, finding_id, lock=True)
        if not actor.manages:
            wid = warden_id_of(s, actor.warden) if actor.role == "warden" else None
            if actor.role != "warden" or not in_charge(finding, wid, actor.warden):
                raise Forbidden.of(
                    "only the responsible person of finding {id} (or a manager) reports it fixed",
                    id=finding_id,
                )
        finding.status = next_status("fix", finding.status)
        now = now_s()
        finding.fixed_at_s = now
        if note:
            finding.note = note
        event = _event(s, finding, actor, "fixed", note, {})
        _store_photos(s, finding.id, event.id, processed, actor.name)
        _audit(s, finding, actor, "finding.fix", photos=len(processed))
        return finding_views(s, [finding.id], events=True)[0]


def close_finding(
    engine: Engine,
    finding_id: int,
    actor: Actor,
    *,
    note: str | None = None,
    in_error: bool = False,
) -> FindingView:
    """A manager verifies the fix and closes the finding (or closes it as recorded in error, which
    then counts nowhere)."""
    note = checked_text(note, Phrase("the note"), max_len=MAX_NOTE, required=False)
    with transaction(engine) as s:
        finding = load_finding(s, finding_id, lock=True)
        _manager_only(actor, "close")
        finding.status = next_status("close", finding.status)
        finding.closed_as = "error" if in_error else "rectified"
        finding.closed_at_s = now_s()
        if note:
            finding.note = note
        _event(s, finding, actor, "closed", note, {"as": finding.closed_as})
        _audit(s, finding, actor, "finding.close", closed_as=finding.closed_as)
        return finding_views(s, [finding.id], events=True)[0]


def reopen_finding(
    engine: Engine, finding_id: int, actor: Actor, *, note: str | None = None
) -> FindingView:
    """A manager reopens a fixed or closed finding (the fix did not hold): it is open again."""
    note = checked_text(note, Phrase("the note"), max_len=MAX_NOTE, required=False)
    with transaction(engine) as s:
        finding = load_finding(s, finding_id, lock=True)
        _manager_only(actor, "reopen")
        finding.status = next_status("reopen", finding.status)
        finding.closed_as = None
        finding.closed_at_s = None
        finding.fixed_at_s = None
        _event(s, finding, actor, "reopened", note, {})
        _audit(s, finding, actor, "finding.reopen")
        return finding_views(s, [finding.id], events=True)[0]


def extend_finding(
    engine: Engine, finding_id: int, actor: Actor, *, deadline: str, reason: str
) -> FindingView:
    """A manager moves an open finding's deadline later, giving the reason."""
    new = parse_day(deadline, Phrase("the deadline"))
    why = checked_text(reason, Phrase("the reason"), max_len=MAX_NOTE)
    with transaction(engine) as s:
        finding = load_finding(s, finding_id, lock=True)
        _manager_only(actor, "extend")
        old = date.fromisoformat(finding.deadline) if finding.deadline else None
        check_extension(old, new)
        finding.status = next_status("extend", finding.status)
        finding.deadline = new.isoformat()
        details = {"from": old.isoformat() if old else None, "to": new.isoformat()}
        _event(s, finding, actor, "extended", why, details)
        _audit(s, finding, actor, "finding.extend", reason=why, **details)
        return finding_views(s, [finding.id], events=True)[0]


def _manager_only(actor: Actor, verb: str) -> None:
    if not actor.manages:
        raise Forbidden.of(
            "only managers {verb} findings; you are logged in as {role}", verb=verb, role=actor.role
        )


def _event(
    s: Session,
    finding: Finding,
    actor: Actor,
    action: str,
    note: str | None,
    details: dict[str, Any],
) -> FindingEvent:
    event = FindingEvent(
        finding_id=finding.id,
        at_s=now_s(),
        actor=actor.name,
        action=action,
        note=note,
        details=json.dumps(details, ensure_ascii=False),
    )
    s.add(event)
    s.flush()
    return event


def _audit(s: Session, finding: Finding, actor: Actor, action: str, **details: Any) -> None:
    record_audit(
        s, actor.name, action, finding.area_id, finding=finding.id, cell=finding.cell_code,
        **details,
    )  # fmt: skip


# --- photos ----------------------------------------------------------------------------------------


def add_photo(engine: Engine, finding_id: int, actor: Actor, name: str, data: bytes) -> PhotoRef:
    """Add a photo to a finding: of the problem while it is open, of the fix once reported fixed; at
    most PHOTOS_PER_STAGE of each. Managers, the warden who found it or holds its cell, and (for
    the fix) the responsible person may."""
    photo = photo_from_bytes(data, name=name)
    with transaction(engine) as s:
        finding = load_finding(s, finding_id, lock=True)
        stage_action = "fixed" if finding.status in ("fixed", "closed") else "recorded"
        event_id = s.execute(
            select(FindingEvent.id)
            .where(FindingEvent.finding_id == finding.id, FindingEvent.action == stage_action)
            .order_by(FindingEvent.id.desc())
            .limit(1)
        ).scalar()
        if event_id is None:  # fixed on the spot: its photos are of the problem and the fix at once
            stage_action = "recorded"
            event_id = s.execute(
                select(FindingEvent.id)
                .where(FindingEvent.finding_id == finding.id, FindingEvent.action == "recorded")
                .limit(1)
            ).scalar_one()  # every finding has its "recorded" event
        if not actor.manages:
            wid = warden_id_of(s, actor.warden) if actor.role == "warden" else None
            allowed = actor.role == "warden" and (
                in_charge(finding, wid, actor.warden)
                or (
                    stage_action == "recorded"
                    and (finding.found_by_warden_id == wid or holds_cell(s, wid, finding.cell_id))
                )
            )
            if not allowed:
                raise Forbidden.of(
                    "you may not add photos to finding {id}: it is not in your cells or your charge",
                    id=finding_id,
                )
        have = s.execute(select(func.count()).where(Photo.event_id == event_id)).scalar() or 0
        if have >= PHOTOS_PER_STAGE:
            raise LimitExceeded.of(
                "finding {id} already has {n} photos of its {stage}; at most {n} are kept",
                id=finding_id,
                n=PHOTOS_PER_STAGE,
                stage="fix" if stage_action == "fixed" else "problem",
            )
        (pid,) = _store_photos(s, finding.id, event_id, [photo], actor.name)
        _audit(s, finding, actor, "finding.photo", photo=pid)
    return PhotoRef(pid, "fix" if stage_action == "fixed" else "found", photo.width, photo.height)


@dataclass(frozen=True)
class PhotoData:
    """A stored photo's bytes to serve (no EXIF: it was re-encoded without)."""

    data: bytes
    mime: str
    sha256: str


def photo_data(engine: Engine, photo_id: int, viewer: Actor, *, thumb: bool = False) -> PhotoData:
    """A photo (or its thumbnail) for someone who may see its finding."""
    column = Photo.thumb if thumb else Photo.data
    with reading(engine) as s:
        row = s.execute(
            select(Photo.finding_id, Photo.mime, Photo.sha256, column).where(
                Photo.id == id_in_range(photo_id)
            )
        ).first()
        if row is None:
            raise NotFound.of("no photo {id}", id=photo_id)
        finding_id, mime, digest, data = row
        if viewer.role == "warden" and not warden_sees(s, load_finding(s, finding_id), viewer):
            raise Forbidden(f"photo {photo_id} belongs to a finding you cannot see")
    return PhotoData(bytes(data), mime, f"{digest}-t" if thumb else digest)
