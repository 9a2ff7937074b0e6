"""ETag / If-None-Match on data answers: the ETag is a hash of the body (and of the headers that say
more about it), so it changes whenever the answer does (a plan, a warden, a round, the moment's
status) and an unchanged answer goes again as a 304 without body."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import Response, request

# headers that are part of the answer (a page's total, the next page, the file's name)
TELLING = ("X-Total-Count", "Link", "Content-Disposition")


def revalidated_json(doc: dict[str, Any], *, moment_key: str | None = None) -> Response:
    """`doc` as a JSON answer, `revalidated`; with `moment_key` its moment goes last, so the weak
    ETag is a hash of the text before it (no second encoding of a large answer to leave it out)."""
    moment = moment_key is not None and moment_key in doc
    if not moment:
        body = json.dumps(doc, ensure_ascii=False)
        return revalidated(Response(body, mimetype="application/json"), moment_key=moment_key)
    assert moment_key is not None
    rest = json.dumps({k: v for k, v in doc.items() if k != moment_key}, ensure_ascii=False)
    said = json.dumps(moment_key) + ": " + json.dumps(doc[moment_key], ensure_ascii=False)
    body = (rest[:-1] + ", " if rest != "{}" else "{") + said + "}"
    resp = Response(body, mimetype="application/json")
    return revalidated(resp, moment_key=moment_key, without_moment=rest.encode())


def revalidated(
    resp: Response, *, moment_key: str | None = None, without_moment: bytes | None = None
) -> Response:
    """`resp` with an ETag of what it says and `Cache-Control: private, no-cache` (the data is behind
    a login: kept by the browser only, asked again each time), or a 304 without body on a match.

    `moment_key`: the top-level JSON key holding the moment the answer was made for ("at", now when
    not asked for); the ETag is then a weak one of the rest, since an answer that differs only in
    that moment says the same (`without_moment`: the text of that rest, when the caller has it)."""
    resp.headers["Cache-Control"] = "private, no-cache"
    if request.method not in ("GET", "HEAD") or resp.status_code != 200:
        return resp
    data = resp.get_data()
    weak = moment_key is not None and moment_key not in request.args
    if weak and without_moment is not None:
        data = without_moment
    elif weak:
        doc = json.loads(data)
        doc.pop(moment_key, None)
        data = json.dumps(doc, ensure_ascii=False, sort_keys=True).encode()
    digest = hashlib.sha256(data)
    for name in TELLING:
        digest.update(f"\n{name}: {resp.headers.get(name, '')}".encode())
    resp.set_etag(digest.hexdigest()[:40], weak=weak)
    resp.make_conditional(request)  # a 304 without body when If-None-Match names this ETag
    return resp
