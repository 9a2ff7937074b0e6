"""What the warden page's offline queue (gridmgr-warden.js) needs: the API's addresses, the CSRF
token, whose queue it is, the service worker and its scope, and the page's texts, as JSON."""

from __future__ import annotations

import json

from flask import g, url_for

from gridmgr.web.auth import csrf_token
from gridmgr.web.i18n import gettext, labels
from gridmgr.web.maps import layers
from gridmgr.web.words import N_

QUEUE_LABELS = {
    "round": N_("Round"),
    "finding": N_("Problem"),
    "photo": N_("Photo"),
    "no_position": N_("no position"),
    "waiting": N_("waiting"),
    "sending": N_("Sending…"),
    "offline": N_("No connection: kept on this phone, sent when the connection is back."),
    "refused": N_("refused"),
}


def offline_data() -> str:
    """The data block of gridmgr-warden.js, as JSON safe inside a <script>."""
    data = {
        "user": g.user.username,
        "csrf": csrf_token(),
        "api": url_for("api.areas").rstrip("/") + "/",
        "photos": url_for("api.add_photo", finding_id=0).replace("/0/", "/{id}/"),
        "cells": url_for("api.my_cells"),
        "worker": url_for("offline.service_worker"),
        "scope": "/me",
        "labels": {
            **labels(QUEUE_LABELS),
            "logged": gettext("Round logged in {code} ({area}) at {time}."),
        },
    }
    return layers.script_safe(json.dumps(data, ensure_ascii=False, separators=(",", ":")))
