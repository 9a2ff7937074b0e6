"""The daily report page (日报, printable): an area's children with the roll-up figures of a day, the
cells most behind and the findings still open (managers and planners)."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from gridmgr.services.daily_report import daily_report
from gridmgr.web import reports_engine_of
from gridmgr.web.auth import roles_required
from gridmgr.web.i18n import percent

bp = Blueprint("report", __name__)
FINDINGS_SHOWN = 200


@bp.get("/areas/<slug>/report")
@roles_required("manager", "planner")
def page(slug: str):
    """The report of `?day=YYYY-MM-DD` (default today), laid out for printing."""
    report = daily_report(reports_engine_of(), slug, request.args.get("day") or None)
    r = report.rollup
    return render_template(
        "daily_report.html",
        report=report,
        r=r,
        rows=r.children or (r.total,),
        findings=report.findings[:FINDINGS_SHOWN],
        percent=percent,
    )
