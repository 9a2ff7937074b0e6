"""The managers' audit log page: every change, newest first, who made it and when, by area."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, render_template, request

from gridmgr.errors import InvalidInput
from gridmgr.services.audit import AuditEntry, audit_areas, list_audit
from gridmgr.web import engine_of
from gridmgr.web.auth import roles_required
from gridmgr.web.i18n import gettext
from gridmgr.web.scope import area_arg, visible_rows
from gridmgr.web.words import N_

bp = Blueprint("audit", __name__)

PAGE_SIZE = 50
# events of no area (wardens, users) are shown in the zone areas get by default
DEFAULT_ZONE = "Asia/Shanghai"

ACTIONS = {
    "area.add": N_("Area added"),
    "plan.create": N_("New grid plan"),
    "assign": N_("Warden posted to cells"),
    "assign.auto": N_("Wardens spread over the cells"),
    "unassign": N_("Warden taken off cells"),
    "cell.wardens": N_("Cell's wardens replaced"),
    "schedule.set": N_("Schedule set"),
    "round.log": N_("Round logged"),
    "warden.add": N_("Warden added"),
    "warden.import": N_("Wardens imported"),
    "user.add": N_("Login added"),
    "user.password": N_("Password changed"),
    "user.remove": N_("Login removed"),
}
FIELDS = {
    "name": N_("Name"),
    "source": N_("Source"),
    "version": N_("Version"),
    "mode": N_("Mode"),
    "cells": N_("Cells"),
    "cell": N_("Cell"),
    "warden": N_("Warden"),
    "wardens": N_("Wardens"),
    "role": N_("Role"),
    "times": N_("Times"),
    "extra": N_("Extra rounds"),
    "at": N_("Time"),
    "count": N_("Count"),
    "username": N_("User name"),
}


@bp.get("/audit")
@roles_required("manager")
def log():
    """The audit log, newest first, optionally of one area; `before` (an event id) pages back."""
    areas = visible_rows(audit_areas(engine_of()))
    area = area_arg(request.args.get("area"))
    before = _whole_arg("before")
    events = list_audit(engine_of(), area=area, limit=PAGE_SIZE + 1, before=before)
    older = None
    if len(events) > PAGE_SIZE:  # one more than a page was asked for: there are older ones
        events = events[:PAGE_SIZE]
        older = events[-1].id
    zones = {a.slug: a.timezone for a in areas}
    names = {a.slug: a.name for a in areas}
    rows = [_row(e, zones.get(e.area or "") or DEFAULT_ZONE, names) for e in events]
    return render_template(
        "audit.html", rows=rows, areas=areas, area=area, before=before, older=older
    )


def _whole_arg(name: str) -> int | None:
    text = (request.args.get(name) or "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise InvalidInput(f"{name} must be a whole number, got {text!r}") from None


def _row(event: AuditEntry, zone: str, names: dict[str, str]) -> dict[str, Any]:
    """One event as the page shows it: local time with its zone, readable action and details."""
    tz = ZoneInfo(zone)
    return {
        "id": event.id,
        "when": f"{event.at.astimezone(tz):%Y-%m-%d %H:%M:%S}",
        "zone": f"{zone}, {_offset(event.at, tz)}",
        "actor": event.actor,
        "action": event.action,
        "what": gettext(ACTIONS[event.action]) if event.action in ACTIONS else None,
        "area": event.area,
        "area_name": names.get(event.area or "", event.area),
        "details": [
            (gettext(FIELDS.get(k, k)), _value(k, v, tz)) for k, v in event.details.items()
        ],
    }


def _local(iso: str, tz: ZoneInfo) -> str:
    """An ISO time of a detail as local time in `tz` (one without an offset is UTC, as stored)."""
    moment = datetime.fromisoformat(iso)
    if moment.tzinfo is None:  # stored without an offset: the database keeps UTC
        moment = moment.replace(tzinfo=UTC)
    return f"{moment.astimezone(tz):%Y-%m-%d %H:%M:%S}"


def _offset(moment: datetime, tz: ZoneInfo) -> str:
    """The zone's offset from UTC at that moment, as UTC+08:00."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    text = f"{moment.astimezone(tz):%z}"
    return f"UTC{text[:3]}:{text[3:5]}"


def _value(key: str, value: Any, tz: ZoneInfo) -> str:
    """A detail value as text: lists joined, moments in the event's zone."""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if key == "at" and isinstance(value, str):
        try:
            return _local(value, tz)
        except ValueError:
            return value
    return "–" if value is None else str(value)
