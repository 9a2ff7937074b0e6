"""Static files under content-hashed URLs (`url_for("static", ...)` adds `?v=<hash of the file>`),
served with a year-long immutable cache when the hash is the file's own: a changed file gets a new
URL, an unchanged one is never asked for again."""

from __future__ import annotations

import hashlib
import os
import stat
from typing import Any

from flask import Flask, Response, request
from werkzeug.security import safe_join

IMMUTABLE = "public, max-age=31536000, immutable"
# path -> (mtime_ns, size, hash): a file is read again only when it changed
_SEEN: dict[str, tuple[int, int, str]] = {}


def content_hash(folder: str, filename: str) -> str | None:
    """The first 12 hex digits of the SHA-256 of `filename` under `folder`; None for no such file."""
    path = safe_join(folder, filename)
    if path is None:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    seen = _SEEN.get(path)
    if seen is not None and seen[:2] == (st.st_mtime_ns, st.st_size):
        return seen[2]
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:12]
    _SEEN[path] = (st.st_mtime_ns, st.st_size, digest)
    return digest


def init_app(app: Flask) -> None:
    """Hash every `url_for("static", filename=...)` and cache the hashed URLs for a year."""

    @app.url_defaults
    def _hashed(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and "v" not in values and "filename" in values:
            digest = content_hash(app.static_folder or "", str(values["filename"]))
            if digest is not None:
                values["v"] = digest

    @app.after_request
    def _cached(resp: Response) -> Response:
        if request.endpoint != "static" or resp.status_code not in (200, 206, 304):
            return resp
        asked = request.args.get("v")
        filename = (request.view_args or {}).get("filename", "")
        if asked and asked == content_hash(app.static_folder or "", str(filename)):
            resp.headers["Cache-Control"] = IMMUTABLE
        return resp
