"""What the `gridmgr` commands print for people (their `--json` prints the API's JSON instead)."""

from __future__ import annotations

from gridmgr.services.coverage import CoverageReport


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
        lines.append(
            f"{r.day.date.isoformat()}: {expected} rounds expected, {done} done, {late} late, "
            f"{missed} missed"
        )
    return "\n".join(lines)
