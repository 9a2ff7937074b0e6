"""The warden page as an app that works offline: its service worker (`/sw.js`, controlling `/me` and
below) and its web app manifest (`/manifest.webmanifest`, named in the page's language, with icons),
both served by the app itself so that nothing comes from outside and the CSP stays as strict."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Blueprint, Response, url_for

from gridmgr.web.i18n import current_locale, gettext

bp = Blueprint("offline", __name__)

STATIC = Path(__file__).resolve().parent / "static"
SCOPE = "/me"  # the warden's pages: /me and /me/cells/…
ICONS = ((192, "icon-192.png", "any"), (512, "icon-512.png", "any"),
         (192, "icon-maskable-192.png", "maskable"), (512, "icon-maskable-512.png", "maskable"))  # fmt: skip


@bp.get("/sw.js")
def service_worker() -> Response:
    """The service worker script, served from the root so it may control `/me` (never cached long:
    a new version reaches phones on their next visit)."""
    text = (STATIC / "js" / "gridmgr-sw.js").read_text(encoding="utf-8")
    resp = Response(text, mimetype="text/javascript")
    resp.headers["Cache-Control"] = "no-cache"
    resp.headers["Service-Worker-Allowed"] = SCOPE
    return resp


@bp.get("/manifest.webmanifest")
def manifest() -> Response:
    """The web app manifest of the warden page ("add to home screen"), in the page's language."""
    data = {
        "name": gettext("gridmgr — my cells"),
        "short_name": gettext("My cells"),
        "lang": current_locale(),
        "start_url": SCOPE,
        "scope": SCOPE,
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#2f9e44",
        "icons": [
            {
                "src": url_for("static", filename=f"icons/{name}"),
                "sizes": f"{size}x{size}",
                "type": "image/png",
                "purpose": purpose,
            }
            for size, name, purpose in ICONS
        ],
    }
    resp = Response(json.dumps(data, ensure_ascii=False), mimetype="application/manifest+json")
    resp.headers["Cache-Control"] = "no-cache"
    return resp
