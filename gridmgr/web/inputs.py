"""Request-wide input guards: text no database can store (a NUL, an unpaired surrogate) is refused
with a 422 naming where it was, before any page or endpoint tries to write it."""

from __future__ import annotations

import re

from flask import Flask, request

from gridmgr.errors import InvalidInput

UNSTORABLE_TEXT = re.compile("[\x00\ud800-\udfff]")
FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def init_app(app: Flask) -> None:
    """Check every request (pages and API) with `refuse_nul_characters`."""
    app.before_request(refuse_nul_characters)


def refuse_nul_characters() -> None:
    """Refuse a NUL character in the URL's path or query (%00), in a form field or in the
    Idempotency-Key header: no name, option or key holds one, and PostgreSQL cannot store it (the
    write would fail as a 500)."""
    url = [*(request.view_args or {}).values(), *request.args.keys(), *request.args.values()]
    if any(isinstance(t, str) and "\x00" in t for t in url):
        raise InvalidInput(
            "the URL holds a NUL character (%00); no area, cell or option name has one: remove it"
        )
    fields = request.form.items(multi=True) if request.mimetype in FORMS else ()
    bad = next((name for name, value in fields if "\x00" in name + value), None)
    if bad is not None:
        raise InvalidInput(
            f"the form field {UNSTORABLE_TEXT.sub('?', bad)[:40]!r} holds a NUL character; "
            "text cannot hold it: remove it and send the form again"
        )
    if "\x00" in request.headers.get("Idempotency-Key", ""):
        raise InvalidInput("the Idempotency-Key header holds a NUL character; send a plain key")
