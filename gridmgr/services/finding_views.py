"""Findings as users see them (dataclasses the API and pages serialise), who acts (Actor), and who
may see a finding: a warden sees findings in cells it holds, found by it, or in its charge."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import Session

from gridmgr.db.models import (
    Area,
    Assignment,
    Cell,
    Finding,
    FindingCategory,
    FindingEvent,
    GridPlan,
    Photo,
    Warden,
)
from gridmgr.db.queries import id_in_range
from gridmgr.db.store import reading
from gridmgr.errors import Forbidden, NotFound
from gridmgr.rules.rectification import deadline_end_s

MANAGERS = ("manager", "cli")


@dataclass(frozen=True)
class Actor:
    """Who acts: a name for the audit log, a role (manager, planner, warden; "cli" acts as a
    manager) and, for a warden, the warden the login is."""

    name: str
    role: str
    warden: str | None = None

    @property
    def manages(self) -> bool:
        """Managers and the command line close, reopen and extend."""
        return self.role in MANAGERS


CLI = Actor("cli", "cli")


@dataclass(frozen=True)
class PhotoRef:
    """A stored photo of a finding: of the problem ("found") or of its fix ("fix")."""

    id: int
    stage: str
    width: int
    height: int


@dataclass(frozen=True)
class EventView:
    """One change in a finding's history."""

    at: str
    actor: str
    action: str
    note: str | None
    details: dict[str, Any]


@dataclass(frozen=True)
class FindingView:
    """A finding as users see it; times are ISO on the area's clock."""

    id: int
    area: str
    area_name: str
    cell: str  # the code as recorded
    cell_now: str | None  # the code of the active plan's cell it lies in now
    category: str
    category_en: str
    category_zh: str
    text: str
    found_by: str
    found_at: str
    received_at: str
    lon: float | None
    lat: float | None
    mode: str  # on_spot | deadline
    deadline: str | None
    unit: str | None
    person: str | None
    status: str  # open | fixed | closed
    overdue: bool
    closed_as: str | None  # rectified | error
    note: str | None
    fixed_at: str | None
    closed_at: str | None
    photos: tuple[PhotoRef, ...] = ()
    events: tuple[EventView, ...] = ()


def iso_of(epoch: int | None, tz: ZoneInfo) -> str | None:
    return None if epoch is None else datetime.fromtimestamp(int(epoch), tz).isoformat()


def now_s() -> int:
    return int(datetime.now(UTC).timestamp())


# --- reading findings as views ---------------------------------------------------------------------


def finding_views(
    s: Session, ids: Sequence[int], *, events: bool = False, at_s: int | None = None
) -> list[FindingView]:
    """The findings with these ids as views, in the order given (photos, and with `events` their
    history, included)."""
    if not ids:
        return []
    rows = s.execute(
        select(Finding, Area.slug, Area.name, Area.timezone, FindingCategory, Cell.code)
        .join(Area, Area.id == Finding.area_id)
        .join(FindingCategory, FindingCategory.id == Finding.category_id)
        .outerjoin(Cell, Cell.id == Finding.cell_id)
        .where(Finding.id.in_(list(ids)))
    ).all()
    photos: dict[int, list[PhotoRef]] = {}
    stage_of = dict(
        s.execute(
            select(FindingEvent.id, FindingEvent.action).where(
                FindingEvent.finding_id.in_(list(ids))
            )
        ).all()
    )
    for pid, fid, event_id, width, height in s.execute(
        select(Photo.id, Photo.finding_id, Photo.event_id, Photo.width, Photo.height)
        .where(Photo.finding_id.in_(list(ids)))
        .order_by(Photo.id)
    ):
        stage = "fix" if event_id is not None and stage_of.get(event_id) == "fixed" else "found"
        photos.setdefault(fid, []).append(PhotoRef(pid, stage, width, height))
    history: dict[int, list[EventView]] = {}
    if events:
        tzs = {f.id: ZoneInfo(tz) for f, _slug, _name, tz, _c, _code in rows}
        for e in s.execute(
            select(FindingEvent)
            .where(FindingEvent.finding_id.in_(list(ids)))
            .order_by(FindingEvent.at_s, FindingEvent.id)
        ).scalars():
            history.setdefault(e.finding_id, []).append(
                EventView(
                    at=iso_of(e.at_s, tzs[e.finding_id]) or "",
                    actor=e.actor,
                    action=e.action,
                    note=e.note,
                    details=json.loads(e.details or "{}"),
                )
            )
    now = now_s() if at_s is None else at_s
    by_id = {}
    for f, slug, name, tz_name, category, code in rows:
        tz = ZoneInfo(tz_name)
        overdue = (
            f.status == "open"
            and f.deadline is not None
            and deadline_end_s(date.fromisoformat(f.deadline), tz) <= now
        )
        by_id[f.id] = FindingView(
            id=f.id,
            area=slug,
            area_name=name,
            cell=f.cell_code,
            cell_now=code,
            category=category.key,
            category_en=category.name_en,
            category_zh=category.name_zh,
            text=f.text,
            found_by=f.found_by,
            found_at=iso_of(f.found_at_s, tz) or "",
            received_at=iso_of(f.received_at_s, tz) or "",
            lon=f.lon,
            lat=f.lat,
            mode=f.mode,
            deadline=f.deadline,
            unit=f.unit,
            person=f.person,
            status=f.status,
            overdue=overdue,
            closed_as=f.closed_as,
            note=f.note,
            fixed_at=iso_of(f.fixed_at_s, tz),
            closed_at=iso_of(f.closed_at_s, tz),
            photos=tuple(photos.get(f.id, ())),
            events=tuple(history.get(f.id, ())),
        )
    return [by_id[i] for i in ids if i in by_id]


def get_finding(engine: Engine, finding_id: int, viewer: Actor) -> FindingView:
    """One finding with its history; a warden sees only findings of its cells or in its charge."""
    with reading(engine) as s:
        finding = load_finding(s, finding_id)
        if viewer.role == "warden" and not warden_sees(s, finding, viewer):
            raise Forbidden(
                f"finding {finding_id} is not in a cell you hold nor in your charge; you cannot "
                "see it"
            )
        return finding_views(s, [finding.id], events=True)[0]


def load_finding(s: Session, finding_id: int, *, lock: bool = False) -> Finding:
    query = select(Finding).where(Finding.id == id_in_range(finding_id))
    if lock:
        query = query.with_for_update()
    finding = s.execute(query).scalar_one_or_none()
    if finding is None:
        raise NotFound.of("no finding {id}", id=finding_id)
    return finding


def warden_id_of(s: Session, name: str | None) -> int | None:
    if not name:
        return None
    return s.execute(select(Warden.id).where(Warden.name == name)).scalar()


def holds_cell(s: Session, warden_id: int | None, cell_id: int | None) -> bool:
    if warden_id is None or cell_id is None:
        return False
    return (
        s.execute(
            select(Assignment.id).where(
                Assignment.cell_id == cell_id, Assignment.warden_id == warden_id
            )
        ).first()
        is not None
    )


def in_charge(finding: Finding, warden_id: int | None, warden: str | None) -> bool:
    """The warden is the finding's responsible person (linked, or named exactly)."""
    if warden_id is not None and finding.person_warden_id == warden_id:
        return True
    return bool(warden) and finding.person == warden


def warden_sees(s: Session, finding: Finding, viewer: Actor) -> bool:
    """A warden sees findings in cells it holds, findings it found and findings in its charge."""
    wid = warden_id_of(s, viewer.warden)
    return (
        in_charge(finding, wid, viewer.warden)
        or (wid is not None and finding.found_by_warden_id == wid)
        or holds_cell(s, wid, finding.cell_id)
    )


# --- a warden's own findings -----------------------------------------------------------------------


def warden_findings(engine: Engine, warden: str, *, limit: int = 200) -> list[FindingView]:
    """The open and fixed findings in the warden's cells or in its charge, newest first."""
    with reading(engine) as s:
        wid = warden_id_of(s, warden)
        if wid is None:
            raise NotFound.of("no warden named {warden!r}", warden=warden)
        held = (
            select(Assignment.cell_id)
            .join(Cell, Cell.id == Assignment.cell_id)
            .join(GridPlan, GridPlan.id == Cell.plan_id)
            .where(Assignment.warden_id == wid, GridPlan.active)
        )
        ids = (
            s.execute(
                select(Finding.id)
                .where(
                    Finding.status.in_(("open", "fixed")),
                    or_(
                        Finding.cell_id.in_(held),
                        Finding.person_warden_id == wid,
                        Finding.person == warden,
                    ),
                )
                .order_by(Finding.found_at_s.desc(), Finding.id.desc())
                .limit(limit)
            )
            .scalars()
            .all()
        )
        return finding_views(s, list(ids))


def may_fix(view: FindingView, warden: str | None) -> bool:
    """Whether a warden is the responsible person shown on a finding (its page offers "fixed")."""
    return bool(warden) and view.person == warden and view.status == "open"
