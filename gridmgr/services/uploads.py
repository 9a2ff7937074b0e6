"""Files uploaded through the web pages: saved under safe names, kept between preview and commit, read
by the same use cases as the CLI, and their error messages naming the file the user chose."""

from __future__ import annotations

import csv
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine
from werkzeug.utils import secure_filename

from gridmgr.errors import GridmgrError, InvalidInput, Phrase, replaced_in
from gridmgr.services.areas import AreaAdded, add_area
from gridmgr.services.staff import WardensImported, import_wardens

STASH_DIR = "uploads"
STASH_HOURS = 24  # a preview's upload is kept this long for its commit
_TOKEN = re.compile(r"^[0-9a-f]{32}$")
_SUFFIX = re.compile(r"^\.[a-z0-9]{1,10}$")
_UNSHOWABLE = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
_STEM_MAX = 100  # file systems refuse names over 255 bytes; a saved name needs no more than this
_SHOWN_MAX = 200  # how much of a name, as sent, messages show
_NAME_FILE = ".name"
_OWNER_FILE = ".owner"
A_FILE = Phrase("file")  # what an upload is called in "choose a file to upload"


def upload_name(filename: str) -> str:
    """A safe file name for an upload that keeps its extension (secure_filename drops non-ASCII names)."""
    base = Path((filename or "").replace("\\", "/")).name
    suffix = Path(base).suffix.lower()
    if not _SUFFIX.match(suffix):
        suffix = ""
    stem = secure_filename(base[: len(base) - len(suffix)] if suffix else base)[:_STEM_MAX]
    return f"{stem or 'upload'}{suffix}"


def display_name(filename: str) -> str:
    """The name a user knows the upload by: its base name as sent, without folders, control characters
    or unpaired surrogates, shortened in the middle when very long."""
    base = Path((filename or "").replace("\\", "/")).name
    base = _UNSHOWABLE.sub("?", base)
    if len(base) > _SHOWN_MAX:
        base = f"{base[: _SHOWN_MAX // 2]}…{base[-_SHOWN_MAX // 2 :]}"
    return base or "the upload"


def _require(filename: str | None, what: str) -> None:
    if not filename:
        raise InvalidInput.of("choose a {what} to upload", what=Phrase(what))


@contextmanager
def named_as(path: Path, name: str) -> Iterator[None]:
    """Rewrite the messages of GridmgrErrors raised inside to name `name` instead of the saved `path`."""
    try:
        yield
    except GridmgrError as exc:
        text = str(exc)
        if str(path) not in text:
            raise
        raise exc.replaced(str(path), name) from None


@contextmanager
def saved_upload(stream: IO[bytes], filename: str, *, what: str = A_FILE) -> Iterator[Path]:
    """The upload saved to a temporary folder under a safe name with its extension, removed after use."""
    _require(filename, what)
    folder = Path(tempfile.mkdtemp(prefix="gridmgr-upload-"))
    try:
        path = folder / upload_name(filename)
        with path.open("wb") as out:
            shutil.copyfileobj(stream, out, 1 << 20)
        with named_as(path, display_name(filename)):
            yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- kept between a preview and its commit ---------------------------------------------------


def stash_upload(
    instance: str | Path, stream: IO[bytes], filename: str, *, owner: str, what: str = A_FILE
) -> str:
    """Keep an upload in the instance folder under a random token (returned) for `owner`'s commit."""
    _require(filename, what)
    root = Path(instance) / STASH_DIR
    root.mkdir(parents=True, exist_ok=True)
    purge_stash(instance)
    token = secrets.token_hex(16)
    folder = root / token
    folder.mkdir(mode=0o700)
    with (folder / upload_name(filename)).open("wb") as out:
        shutil.copyfileobj(stream, out, 1 << 20)
    (folder / _NAME_FILE).write_text(display_name(filename), encoding="utf-8")
    (folder / _OWNER_FILE).write_text(owner, encoding="utf-8")
    return token


def stashed_upload(instance: str | Path, token: str, *, owner: str) -> tuple[Path, str]:
    """The saved file of a token and the name the user gave it; InvalidInput when gone, malformed or
    kept for someone else."""
    if not _TOKEN.match(token or ""):
        raise InvalidInput.of("the form names no valid upload; upload the file again")
    folder = Path(instance) / STASH_DIR / token
    files = [p for p in folder.glob("*") if not p.name.startswith(".")] if folder.is_dir() else []
    owner_file = folder / _OWNER_FILE
    if files and (not owner_file.exists() or owner_file.read_text(encoding="utf-8") != owner):
        files = []  # another user's upload reads as gone: tokens are not shared
    if len(files) != 1:
        raise InvalidInput.of(
            "the file uploaded for the preview is gone (kept {hours} h, removed after a "
            "commit); upload it again",
            hours=STASH_HOURS,
        )
    name_file = folder / _NAME_FILE
    name = name_file.read_text(encoding="utf-8") if name_file.exists() else files[0].name
    return files[0], name


def discard_upload(instance: str | Path, token: str, *, owner: str) -> None:
    """Remove `owner`'s kept upload (after its commit); other tokens are ignored."""
    if not _TOKEN.match(token or ""):
        return
    folder = Path(instance) / STASH_DIR / token
    owner_file = folder / _OWNER_FILE
    if owner_file.exists() and owner_file.read_text(encoding="utf-8") == owner:
        shutil.rmtree(folder, ignore_errors=True)


def purge_stash(instance: str | Path, *, hours: float = STASH_HOURS) -> int:
    """Remove kept uploads older than `hours`; returns how many went."""
    root = Path(instance) / STASH_DIR
    if not root.is_dir():
        return 0
    cutoff = time.time() - hours * 3600
    gone = 0
    for folder in root.iterdir():
        if _TOKEN.match(folder.name) and folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
            gone += 1
    return gone


# --- use cases on uploads --------------------------------------------------------------------


def add_area_upload(engine: Engine, stream: IO[bytes], filename: str, **options: Any) -> AreaAdded:
    """`add_area` on an uploaded boundary file; messages name the file as the user chose it."""
    with saved_upload(stream, filename, what=Phrase("boundary file")) as path:
        made = add_area(engine, path, **options)
        shown = display_name(filename)
        return replace(
            made, warnings=tuple(replaced_in(w, str(path), shown) for w in made.warnings)
        )


def import_wardens_upload(
    engine: Engine, stream: IO[bytes], filename: str, *, actor: str = "web"
) -> WardensImported:
    """`import_wardens` on an uploaded CSV; messages name the file as the user chose it. Refused first:
    NUL bytes (binary data; no database stores them) and fields over the csv module's limit."""
    shown = display_name(filename)
    with saved_upload(stream, filename, what=Phrase("CSV file")) as path:
        with path.open("rb") as fh:
            binary = any(b"\x00" in chunk for chunk in iter(lambda: fh.read(1 << 20), b""))
        if binary:
            raise InvalidInput(
                f"{shown}: the file holds NUL bytes, so it is binary data, not a CSV text; save the "
                "wardens as CSV (UTF-8) with the header name,phone[,role]"
            )
        try:
            return import_wardens(engine, path, actor=actor)
        except csv.Error as exc:  # a field over 128 KB, most likely: not a list of wardens
            raise InvalidInput(
                f"{shown}: not a readable CSV ({exc}); save the wardens as CSV (UTF-8) with the "
                "header name,phone[,role]"
            ) from None
