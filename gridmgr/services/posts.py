"""One cell's wardens replaced at once, and one cell looked up by code (for the API)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.orm import Session

from gridmgr.db.models import Area, Assignment, Cell, GridPlan, Warden
from gridmgr.db.queries import get_area, record_audit
from gridmgr.db.store import transaction
from gridmgr.errors import InvalidInput, NotFound
from gridmgr.rules.staffing import warden_name, warden_role

MAX_WARDENS_PER_CELL = 200


@dataclass(frozen=True)
class Post:
    """A warden's post in a cell: the warden's name and role there (leader, member, volunteer)."""

    name: str
    role: str


@dataclass(frozen=True)
class CellWardens:
    """A cell's wardens after they were replaced."""

    area: str  # the area's slug
    cell: str  # the cell's code
    wardens: tuple[Post, ...]


def active_cell(s: Session, slug: str, code: str) -> tuple[Area, int]:
    """The area and the id of its active plan's cell `code`; NotFound for either."""
    area = get_area(s, slug)
    cell_id = s.execute(
        select(Cell.id)
        .join(GridPlan, GridPlan.id == Cell.plan_id)
        .where(GridPlan.area_id == area.id, GridPlan.active, Cell.code == code)
    ).scalar()
    if cell_id is None:
        raise NotFound.of(
            "area {slug!r} has no cell {code!r} in its active plan", slug=slug, code=code
        )
    return area, int(cell_id)


def set_cell_wardens(
    engine: Engine,
    slug: str,
    code: str,
    wardens: list[dict[str, Any]],
    *,
    actor: str = "cli",
) -> CellWardens:
    """Replace a cell's wardens with these ({name, role}; role defaults to member); one transaction.

    Every named warden must exist already; an empty list leaves the cell unstaffed.
    """
    if not isinstance(wardens, list) or len(wardens) > MAX_WARDENS_PER_CELL:
        raise InvalidInput(
            f'"wardens" must be an array of at most {MAX_WARDENS_PER_CELL} {{"name", "role"}} objects'
        )
    posts: list[tuple[str, str]] = []
    for k, item in enumerate(wardens):
        where = f"wardens[{k}]: "
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise InvalidInput(f'{where}needs an object with a "name" (and optionally a "role")')
        role = item.get("role")
        if role is not None and not isinstance(role, str):
            raise InvalidInput(f"{where}the role must be a string")
        name = warden_name(item["name"], where=where)
        if name in (n for n, _ in posts):
            raise InvalidInput(f"{where}{name!r} is named twice")
        posts.append((name, warden_role(role, where=where)))
    with transaction(engine) as s:
        area, cell_id = active_cell(s, slug, code)
        names = [n for n, _ in posts]
        ids = dict(s.execute(select(Warden.name, Warden.id).where(Warden.name.in_(names))).all())
        missing = [n for n in names if n not in ids]
        if missing:
            raise InvalidInput(
                f"no warden named {missing[0]!r}; add them first (gridmgr warden add)"
            )
        s.execute(delete(Assignment).where(Assignment.cell_id == cell_id))
        if posts:
            s.execute(
                insert(Assignment),
                [{"cell_id": cell_id, "warden_id": ids[n], "role": r} for n, r in posts],
            )
        record_audit(
            s, actor, "cell.wardens", area.id, cell=code, wardens=[f"{n} ({r})" for n, r in posts]
        )
    return CellWardens(slug, code, tuple(Post(n, r) for n, r in posts))
