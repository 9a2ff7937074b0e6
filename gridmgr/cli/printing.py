"""What the `gridmgr` commands print for people; their `--json` prints the API's JSON instead (made by
`gridmgr.web.api.serialise`), or, for what the API does not serve, the JSON made here."""

from __future__ import annotations

from typing import Any

from gridmgr.geometry.gridding import format_quality
from gridmgr.services.area_import import ImportedAreas
from gridmgr.services.areas import AreaSummary, area_tree
from gridmgr.services.coverage import CoverageReport
from gridmgr.services.leaf_grid import LeavesGridded
from gridmgr.services.plans import GridReport
from gridmgr.services.reports import PlanRow
from gridmgr.services.users import UserInfo


def areas_text(rows: list[AreaSummary]) -> str:
    """One line per area in tree order, children indented under their parent: slug, kind, hectares,
    active plan and cells, and the leader when one is set."""
    lines = []
    for depth, a in area_tree(rows):
        name = "  " * depth + a.slug
        people = a.leaders
        lead = f"  leader {people.leader}" if people and people.leader else ""
        deputy = f", deputy {people.deputy}" if people and people.deputy else ""
        lines.append(
            f"{name:<28} {a.kind:<10} {round(a.area_m2, 1) / 1e4:>10.2f} ha  "
            f"plan v{a.plan_version or '-'}  {a.cells} cells{lead}{deputy}"
        )
    return "\n".join(lines) or "no areas yet (gridmgr area add FILE --name NAME)"


def import_report_text(r: ImportedAreas) -> str:
    """How imported children cover their parent: gaps and overlaps between siblings, cells moved."""
    g = r.ground
    lines = [
        f"{len(r.slugs)} child areas of {r.parent}; the children cover "
        f"{g.coverage_ratio * 100:.2f}% of it, coverage error {r.coverage_error:.6f}",
        f"gaps: {len(g.gaps)} ({sum(a for _, a in g.gaps):,.1f} m²), "
        f"overlaps: {len(g.overlaps)} ({sum(a for _, a in g.overlaps):,.1f} m²)",
    ]
    if r.moved is not None:
        lines.append(
            f"plan v{r.moved.from_plan} of {r.parent} moved to its children: "
            + ", ".join(f"{k} {n} cells" for k, n in sorted(r.moved.cells.items()))
            + f"; {r.moved.findings} findings, {r.moved.checkpoints} checkpoints"
        )
    return "\n".join(lines)


def leaves_text(r: LeavesGridded) -> str:
    """An area's leaves gridded: the total, then one line per leaf with its share and codes."""
    head = "dry run: nothing written" if r.dry_run else "written"
    lines = [f"{head}: {r.cells} cells over {len(r.leaves)} leaf areas of {r.area}"]
    for x in r.leaves:
        share = f" (share {x.share:.2f})" if x.share is not None else ""
        plan = f"  plan v{x.plan_version}" if x.plan_version is not None else ""
        lines.append(
            f"  {x.slug:<28} {x.cells:>7} cells{share}  {x.first_code} … {x.last_code}{plan}"
        )
    return "\n".join(lines)


def grid_text(r: GridReport) -> str:
    """A new plan (or a dry run): cells, codes kept, staff carried over, quality figures."""
    head = "dry run: nothing written" if r.dry_run else f"plan v{r.plan_version} is active"
    return "\n".join(
        [
            f"{head}: {r.cells} cells (was {r.previous_cells}), {r.kept_codes} kept their codes",
            f"staffed cells: {r.staffed_cells}, wardens posted: {r.wardens_posted}",
            f"cells that gained staff: {len(r.gained_staff)}, lost staff: {len(r.lost_staff)}",
            format_quality(r.quality),
        ]
    )


def plans_text(rows: list[PlanRow]) -> str:
    """One line per plan of an area's history, oldest first."""
    lines = [
        f"v{p.version:<4} {'active' if p.active else '      '} {p.mode:<10} {p.cells:>7} cells  "
        f"{p.created_at.isoformat()[:19]}  {p.created_by or ''}"
        for p in rows
    ]
    return "\n".join(lines) or "no plans yet"


def plans_to_json(rows: list[PlanRow]) -> list[dict[str, Any]]:
    """An area's plan history as `gridmgr plan list --json` prints it."""
    return [
        {
            "version": p.version,
            "active": p.active,
            "mode": p.mode,
            "cells": p.cells,
            "created_at": p.created_at.isoformat(),
            "created_by": p.created_by,
        }
        for p in rows
    ]


def coverage_text(r: CoverageReport) -> str:
    """The coverage report in a few lines: ground, gaps and overlaps, round status, worst cells, the day."""
    g = r.ground
    # m² and the ratio as the JSON gives them, so the text and `--json` read alike
    gaps = sum(round(m2, 2) for _, m2 in g.gaps)
    overlaps = sum(round(m2, 2) for _, m2 in g.overlaps)
    lines = [
        f"{r.area} at {r.at.isoformat()} (plan v{r.plan_version}): "
        f"{round(g.coverage_ratio, 6):.2%} of {round(g.area_m2, 2) / 1e4:,.2f} ha covered by "
        f"{r.cells_total} cells",
        f"gaps: {len(g.gaps)} ({gaps:,.1f} m²); overlaps: {len(g.overlaps)} ({overlaps:,.1f} m²)",
        f"overdue {len(r.overdue)}, due {len(r.due)}, ok {len(r.ok)}; unstaffed {len(r.unstaffed)}, "
        f"unscheduled {len(r.unscheduled)}, short of extra rounds {len(r.short_of_extra)}",
    ]
    if r.worst:
        lines.append(
            "worst: " + ", ".join(f"{w.code} ({w.status}, {w.missed} missed)" for w in r.worst)
        )
    if r.day is not None:
        cells = r.day.cells
        expected, done = sum(c.expected for c in cells), sum(c.done for c in cells)
        late, missed = sum(c.late for c in cells), sum(c.missed for c in cells)
        bare = sum(c.without_proof for c in cells)
        lines.append(
            f"{r.day.date.isoformat()}: {expected} rounds expected, {done} done, {late} late, "
            f"{missed} missed" + (f"; {bare} rounds without proof" if bare else "")
        )
    proof = r.evidence
    if proof.rounds_today:
        unproven = r.unproven()
        lines.append(
            f"rounds today: {proof.rounds_today}, {proof.rounds_without_proof} without proof (no "
            f"position in the cell), {proof.late_entries} entered late"
            + (f"; unproven cells: {', '.join(unproven)}" if unproven else "")
        )
    gates = r.checkpoints
    if gates.total:
        lines.append(
            f"checkpoints: {gates.total}, unstaffed {len(gates.unstaffed)}, "
            f"unattended {len(gates.unattended)}"
        )
    return "\n".join(lines)


def users_text(rows: list[UserInfo]) -> str:
    """One line per login: name, role and the warden it is, or the area it is scoped to."""
    return "\n".join(
        f"{u.username:<24} {u.role:<8} {u.warden or (f'scope {u.scope}' if u.scope else '')}".rstrip()
        for u in rows
    )


def users_to_json(rows: list[UserInfo]) -> list[dict[str, Any]]:
    """`gridmgr user list --json`: each login's id, name, role, warden and scope (an area's slug)."""
    return [
        {"id": u.id, "username": u.username, "role": u.role, "warden": u.warden, "scope": u.scope}
        for u in rows
    ]
