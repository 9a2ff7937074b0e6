"""The gate page (卡点计数): big +1 / +5 / −1 buttons for the wardens posted at a checkpoint (and for
managers), the count against the limit, the slot's quota; it keeps counting offline (gridmgr-gate.js)."""

from __future__ import annotations

import json

from flask import Blueprint, g, render_template, url_for
from markupsafe import Markup

from gridmgr.errors import Forbidden
from gridmgr.services.checkpoints import list_checkpoints
from gridmgr.web import engine_of
from gridmgr.web.auth import csrf_token, roles_required
from gridmgr.web.i18n import labels
from gridmgr.web.maps import layers
from gridmgr.web.words import N_

bp = Blueprint("gates", __name__)

GATE_LABELS = {
    "open": N_("Entry open"),
    "near": N_("Near the limit"),
    "full": N_("Entry paused"),
    "no_limit": N_("no limit"),
    "of": N_("of"),
    "inside": N_("inside"),
    "slot": N_("Slot"),
    "no_slot": N_("No entry slot open"),
    "entries": N_("entries"),
    "pending": N_("waiting to be sent"),
    "offline": N_("Offline: counts are kept and sent when the connection is back"),
    "refused": N_("Not counted: at capacity"),
    "error": N_("Not counted"),
    "in_out": N_("in / out here today"),
}


@bp.get("/areas/<slug>/checkpoints/<int:checkpoint_id>/gate")
@roles_required("warden", "manager")
def gate(slug: str, checkpoint_id: int):
    """The counting page of one checkpoint: only its wardens (and managers) may open it."""
    gates = {c.id: c for c in list_checkpoints(engine_of(), slug)}
    found = gates.get(checkpoint_id)
    user = g.user
    posted = found is not None and any(p.warden == user.warden for p in found.posts)
    if found is None or (user.role == "warden" and not posted):
        raise Forbidden.of(
            "you are not posted at checkpoint {id} of {slug}; only its wardens count there",
            id=checkpoint_id,
            slug=slug,
        )
    data = {
        "occupancyUrl": url_for("api.area_occupancy", slug=slug),
        "checkpoint": found.id,
        "countsUrl": url_for("api.count", slug=slug, checkpoint_id=found.id),
        "csrf": csrf_token(),
        "store": f"gridmgr-gate-{slug}-{found.id}",
        "labels": labels(GATE_LABELS),
    }
    return render_template(
        "gate.html",
        gate=found,
        slug=slug,
        gate_json=Markup(layers.script_safe(json.dumps(data, ensure_ascii=False))),
        back=url_for("warden.me") if user.role == "warden" else url_for("manage.areas"),
    )
