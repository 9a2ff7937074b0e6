"""The rounds logged in one cell on one day of the area's clock, with their evidence (the rounds
list of the API and of the manager's cell popup)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from gridmgr.db.models import Assignment, Round, Warden
from gridmgr.db.store import reading
from gridmgr.errors import Forbidden
from gridmgr.services.posts import active_cell
from gridmgr.services.rounds import RoundRecord, record_of_round


@dataclass(frozen=True)
class CellRounds:
    """A cell's rounds on a local day, oldest first."""

    area: str
    cell: str
    day: date
    timezone: str
    rounds: tuple[RoundRecord, ...]


def cell_rounds(
    engine: Engine,
    slug: str,
    code: str,
    *,
    day: date | None = None,
    warden: str | None = None,
    now: datetime | None = None,
) -> CellRounds:
    """The rounds of cell `code` on `day` (default today on the area's clock), oldest first.

    With `warden` (a warden asking) the cell must be one it holds, else Forbidden.
    """
    with reading(engine) as s:
        area, cell_id = active_cell(s, slug, code)
        tz = ZoneInfo(area.timezone)
        if warden is not None:
            holds = s.execute(
                select(Assignment.id)
                .join(Warden, Warden.id == Assignment.warden_id)
                .where(Assignment.cell_id == cell_id, Warden.name == warden)
            ).first()
            if holds is None:
                raise Forbidden.of(
                    "you do not hold cell {code} of area {slug}; a warden sees the rounds of "
                    "its own cells only",
                    code=code,
                    slug=slug,
                )
        local = day or (now or datetime.now(UTC)).astimezone(tz).date()
        start = datetime.combine(local, time(0), tz)
        end = datetime.combine(local + timedelta(days=1), time(0), tz)
        rows = s.execute(
            select(Round, Warden.name)
            .outerjoin(Warden, Warden.id == Round.warden_id)
            .where(
                Round.cell_id == cell_id,
                Round.at_s >= int(start.timestamp()),
                Round.at_s < int(end.timestamp()),
            )
            .order_by(Round.at_s, Round.id)
        ).all()
        rounds = tuple(record_of_round(r, slug, code, name, tz) for r, name in rows)
    return CellRounds(slug, code, local, area.timezone, rounds)
