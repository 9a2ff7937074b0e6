"""Where a page may send the browser next: only a path on this site, never another host (an open
redirect). The login form's `next` and the language switch's `next` both go through `safe_target`."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_target(target: str | None) -> str | None:
    """`target` if it is a path on this site (``/areas?x=1``), else None.

    Refused: a scheme or host (``https://…``, ``javascript:…``), a protocol-relative ``//host``, a
    backslash (browsers read ``/\\host`` as ``//host``) and control characters (browsers drop tabs
    and newlines, so ``/\\t/host`` would become ``//host``).
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
