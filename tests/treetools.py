"""Trees of real areas for tests of roll-ups: areas added and gridded with the services, nested by
their `parent_id`, staffed, scheduled, with rounds and findings at random."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime

import shapely
from sqlalchemy import select, text, update

from gridmgr import services
from gridmgr.db.models import Area, Round
from gridmgr.db.store import bulk_insert, transaction
from gridmgr.services.finding_views import Actor
from gridmgr.services.findings import NewFinding, record_finding

AT = "2026-11-20T15:00"  # the moment the tests look at, Asia/Shanghai
MANAGER = Actor("manager", "manager")
LEAF_DEG = 0.004  # a leaf is a square about 300 m × 440 m


@dataclass
class Tree:
    """The slugs of the areas made (in the order asked) and their parents' indices."""

    slugs: list[str]
    parents: list[int | None]

    def kids(self, i: int) -> list[int]:
        """The indices of area i's children."""
        return [j for j, p in enumerate(self.parents) if p == i]

    def leaves_below(self, i: int) -> list[int]:
        """The indices of the leaves of area i's subtree (i itself when a leaf)."""
        kids = self.kids(i)
        return [j for k in kids for j in self.leaves_below(k)] if kids else [i]


def random_parents(rng: random.Random, n: int, roots: int = 1) -> list[int | None]:
    """A random forest of n areas: each after the roots has an earlier parent."""
    return [None] * roots + [rng.randrange(i) for i in range(roots, n)]


def box(x0: float, y0: float, x1: float, y1: float) -> dict:
    """A GeoJSON polygon of a lon/lat box."""
    return shapely.geometry.mapping(shapely.box(x0, y0, x1, y1))


def seed_tree(
    engine,
    parents: list[int | None],
    rng: random.Random,
    *,
    names: list[str] | None = None,
    prefix: str = "t",
    gridded: float = 0.9,
) -> Tree:
    """Areas nested as `parents` says; each leaf (about `gridded` of them) gridded into 2 to 6 cells,
    some staffed and scheduled, with rounds on the day of AT and findings in several states."""
    n = len(parents)
    tree = Tree([], parents)
    leaves = [i for i in range(n) if not tree.kids(i)]
    spot = {leaf: k for k, leaf in enumerate(leaves)}

    def extent(i: int) -> tuple[float, float, float, float]:
        ks = [spot[j] for j in tree.leaves_below(i)]
        x0 = 126.6 + (min(ks) % 10) * LEAF_DEG * 1.25
        y0 = 45.7 + (min(ks) // 10) * LEAF_DEG * 1.25
        if len(ks) == 1:
            return x0, y0, x0 + LEAF_DEG, y0 + LEAF_DEG
        return (
            126.6,
            45.7 + (min(ks) // 10) * LEAF_DEG * 1.25,
            126.6 + 12.5 * LEAF_DEG,
            45.7 + (max(ks) // 10 + 1) * LEAF_DEG * 1.25,
        )

    for i in range(n):
        name = names[i] if names else f"{prefix.upper()}{i}"
        added = services.add_area(engine, geojson=box(*extent(i)), name=name, slug=f"{prefix}{i}")
        tree.slugs.append(added.slug)
    with transaction(engine) as s:
        ids = dict(s.execute(select(Area.slug, Area.id)).all())
        for i, p in enumerate(parents):
            if p is not None:
                s.execute(
                    update(Area)
                    .where(Area.id == ids[tree.slugs[i]])
                    .values(parent_id=ids[tree.slugs[p]])
                )
    made: set[str] = set()
    for i in leaves:
        if rng.random() > gridded:
            continue
        slug = tree.slugs[i]
        services.grid(engine, slug, count=rng.randint(2, 6))
        codes = list(services.plan_cells(engine, slug)["code"])
        for k, code in enumerate(codes):
            if rng.random() < 0.7:
                warden = f"{prefix}w{i}-{k % 2}"
                if warden not in made:  # the leaf's second cell of the same warden
                    services.add_warden(engine, warden)
                    made.add(warden)
                services.assign(engine, slug, [code], warden)
        scheduled = [c for c in codes if rng.random() < 0.8]
        if scheduled:
            services.set_schedule(
                engine, slug, scheduled, times=["08:00", "12:00", "18:00"], extra=rng.randint(0, 1)
            )
        for k in range(rng.randint(0, 3)):
            fixed = rng.random() < 0.4
            new = NewFinding(
                category="waste", text=f"问题{k}", at="2026-11-05T10:00", fixed_now=fixed, note="当场整改" if fixed else None,
                deadline=None if fixed else rng.choice(["2026-11-10", "2026-12-30"]),
                unit=None if fixed else "物业", person=None if fixed else "张三",
            )  # fmt: skip
            record_finding(engine, slug, rng.choice(codes), new, MANAGER)
    with engine.begin() as conn:
        conn.execute(text("UPDATE schedules SET since_s = NULL"))
        conn.execute(
            text("UPDATE grid_plans SET created_at = :t"), {"t": datetime(2026, 1, 1, tzinfo=UTC)}
        )
        cells = conn.execute(text("SELECT id FROM cells")).scalars().all()
    start = int(datetime.fromisoformat("2026-11-19T00:00+08:00").timestamp())
    end = int(datetime.fromisoformat(AT + "+08:00").timestamp())
    rows = [
        {"cell_id": c, "at_s": rng.randrange(start, end), "received_at_s": end}
        for c in cells
        for _ in range(rng.randint(0, 6))
    ]
    if rows:
        with transaction(engine) as s:
            bulk_insert(s, Round, rows)
    return tree
