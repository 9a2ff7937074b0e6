"""Findings pages: the managers' ledger page (整改台账: figures, filters, pages, close / reopen / extend,
exports) and the warden's forms (report a problem in its cell with a photo, report a fix)."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for

from gridmgr.errors import Forbidden, InvalidInput
from gridmgr.files.photos import MAX_BYTES
from gridmgr.services import findings as svc
from gridmgr.services.categories import list_categories
from gridmgr.services.ledger import STATUS_FILTERS, FindingFilter, list_findings
from gridmgr.services.ledger_exports import export_findings_gpkg, export_ledger
from gridmgr.web import engine_of
from gridmgr.web.auth import roles_required
from gridmgr.web.i18n import current_locale, gettext
from gridmgr.web.revalidate import revalidated
from gridmgr.web.words import N_

bp = Blueprint("findings", __name__)

PER_PAGE = 50
EXPORTS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "gpkg": "application/geopackage+sqlite3",
}
STATUS_LABELS = {
    "open": N_("Open"),
    "overdue": N_("Overdue"),
    "fixed": N_("Reported fixed"),
    "closed": N_("Closed"),
    "error": N_("Recorded in error"),
}
MODE_LABELS = {"on_spot": N_("Fixed on the spot"), "deadline": N_("With a deadline")}


def _actor() -> svc.Actor:
    user = g.user
    return svc.Actor(user.username, user.role, user.warden)


def _filter() -> FindingFilter:
    args = request.args
    return FindingFilter(
        status=args.get("status") or None,
        category=args.get("category") or None,
        cell=args.get("cell", "").strip() or None,
        date_from=args.get("from") or None,
        date_to=args.get("to") or None,
        responsible=args.get("responsible", "").strip() or None,
    )


@bp.get("/areas/<slug>/findings")
@roles_required("manager", "planner")
def ledger_page(slug: str):
    """The area's rectification ledger: the figures, the filters, a page of findings, the actions."""
    page_text = request.args.get("page", "1")
    page = int(page_text) if page_text.isdigit() and len(page_text) < 7 else 1
    got = list_findings(
        engine_of(), slug, _filter(), viewer=_actor(), page=max(page, 1), per_page=PER_PAGE
    )
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    period = {k: v for k, v in args.items() if k in ("from", "to")}
    return render_template(
        "findings.html",
        slug=slug,
        page=got,
        args=args,
        query=lambda **more: urlencode({**args, **more}),
        period_query=urlencode(period),
        categories=list_categories(engine_of()),
        statuses=STATUS_FILTERS,
        status_labels={k: gettext(v) for k, v in STATUS_LABELS.items()},
        mode_labels={k: gettext(v) for k, v in MODE_LABELS.items()},
        zh=current_locale() == "zh-CN",
        may_act=g.user.role == "manager",
        today=date.today().isoformat(),
    )


def _back(slug_default: str | None = None) -> str:
    """Where a form sends the user back: a path on this site from the form, else the ledger."""
    target = request.form.get("next", "")
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("findings.ledger_page", slug=slug_default) if slug_default else "/"


@bp.post("/findings/<int:finding_id>/<any(close, reopen, extend):action>")
@roles_required("manager")
def act(finding_id: int, action: str):
    """A manager closes, reopens or extends a finding from the ledger page."""
    form = request.form
    note = form.get("note", "").strip() or None
    if action == "close":
        done = svc.close_finding(
            engine_of(), finding_id, _actor(), note=note, in_error=form.get("in_error") == "1"
        )
    elif action == "reopen":
        done = svc.reopen_finding(engine_of(), finding_id, _actor(), note=note)
    else:
        done = svc.extend_finding(
            engine_of(),
            finding_id,
            _actor(),
            deadline=form.get("deadline", ""),
            reason=form.get("reason", ""),
        )
    flash(gettext("Finding {id} is now {status}.", id=done.id, status=gettext(done.status)), "ok")
    return redirect(_back(done.area), code=303)


@bp.get("/areas/<slug>/findings/export.<any(xlsx, csv, gpkg):kind>")
@roles_required("manager", "planner")
def export(slug: str, kind: str):
    """The ledger as XLSX or CSV, or the findings as a GeoPackage, for the period asked for."""
    date_from = request.args.get("from") or None
    date_to = request.args.get("to") or None
    if kind == "gpkg":
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory(prefix="gridmgr-export-") as tmp:
            path = Path(tmp) / "findings.gpkg"
            export_findings_gpkg(engine_of(), slug, path, date_from=date_from, date_to=date_to)
            data = path.read_bytes()
    else:
        made = export_ledger(
            engine_of(), slug, None, kind=kind, date_from=date_from, date_to=date_to
        ).data
        assert made is not None  # no file given: the bytes come back
        data = made
    resp = Response(data, mimetype=EXPORTS[kind])
    name = f"{slug}-ledger.{kind}" if kind != "gpkg" else f"{slug}-findings.gpkg"
    resp.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return revalidated(resp)


# --- the warden's forms (on /me) --------------------------------------------------------------------


def _photo_uploads() -> list[tuple[str, bytes]]:
    """The photos of a form (field `photo`, several allowed), each read to at most MAX_BYTES + 1."""
    out = []
    for upload in request.files.getlist("photo"):
        if upload and upload.filename:
            out.append((upload.filename, upload.stream.read(MAX_BYTES + 1)))
    return out


def _warden() -> str:
    name = g.user.warden
    if not name:
        raise Forbidden.of("this login is not linked to a warden; ask a manager to link it")
    return name


@bp.post("/me/cells/<slug>/<code>/findings")
@roles_required("warden")
def report(slug: str, code: str):
    """A warden reports a problem in one of its cells, with photos from the phone's camera."""
    warden = _warden()
    form = request.form
    fixed_now = form.get("plan") == "now"
    new = svc.NewFinding(
        category=form.get("category", ""),
        text=form.get("text", ""),
        fixed_now=fixed_now,
        note=form.get("note") or None,
        deadline=None if fixed_now else (form.get("deadline") or None),
        unit=None if fixed_now else (form.get("unit") or None),
        person=None if fixed_now else (form.get("person") or warden),
    )
    if not fixed_now and new.deadline is None:
        raise InvalidInput.of("give a deadline, or choose fixed on the spot")
    made, _ = svc.record_finding(
        engine_of(),
        slug,
        code,
        new,
        _actor(),
        photos=_photo_uploads(),
        idempotency_key=form.get("key") or None,
    )
    flash(gettext("Problem {id} recorded in {code}.", id=made.id, code=code), "ok")
    return redirect(f"{url_for('warden.me')}#cell-{slug}-{code}", code=303)


@bp.post("/me/findings/<int:finding_id>/fix")
@roles_required("warden")
def report_fix(finding_id: int):
    """The responsible warden reports a finding fixed, with a note and photos of the fix."""
    _warden()
    done = svc.fix_finding(
        engine_of(),
        finding_id,
        _actor(),
        note=request.form.get("note") or None,
        photos=_photo_uploads(),
    )
    flash(gettext("Finding {id} reported fixed.", id=done.id), "ok")
    return redirect(f"{url_for('warden.me')}#findings", code=303)
