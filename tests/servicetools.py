"""Helpers of the service tests: the demo park's file, a plan's cells and posts read back, wardens made in bulk."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from gridmgr import services
from gridmgr.db.models import Assignment, Cell, GridPlan, Schedule, Warden
from gridmgr.db.queries import get_area
from gridmgr.db.store import load_cells, reading

from conftest import GEODATA

PARK = GEODATA / "demo_park.geojson"
LATER = datetime.now(UTC) + timedelta(days=3)  # "now" for rounds logged on days still to come


def tomorrow_local(hhmm: str) -> str:
    """An ISO moment tomorrow in Shanghai (after any plan the test made), without offset."""
    day = (datetime.now(UTC) + timedelta(hours=8) + timedelta(days=1)).date()
    return f"{day.isoformat()}T{hhmm}"


def active(engine, slug):
    """The active plan of an area, its cells, (code, warden, role) posts and the codes with a schedule."""
    with reading(engine) as s:
        area = get_area(s, slug)
        plan = s.execute(
            select(GridPlan).where(GridPlan.area_id == area.id, GridPlan.active)
        ).scalar_one()
        cells = load_cells(s, plan.id)
        posts = s.execute(
            select(Cell.code, Warden.name, Assignment.role)
            .join(Assignment, Assignment.cell_id == Cell.id)
            .join(Warden, Warden.id == Assignment.warden_id)
            .where(Cell.plan_id == plan.id)
        ).all()
        scheduled = set(
            s.execute(
                select(Cell.code)
                .join(Schedule, Schedule.cell_id == Cell.id)
                .where(Cell.plan_id == plan.id)
            ).scalars()
        )
        return plan, cells, posts, scheduled


def add_wardens(engine, n, tmp_path, role="member"):
    """Import n wardens from a CSV file."""
    csv = tmp_path / "wardens.csv"
    csv.write_text(
        "name,phone,role\n" + "".join(f"网格员{k:04d},1390000{k:04d},{role}\n" for k in range(n)),
        encoding="utf-8",
    )
    return services.import_wardens(engine, csv)
