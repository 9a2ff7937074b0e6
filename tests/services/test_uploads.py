"""Uploads: saved under safe names that keep the extension, named in messages as the user chose them,
kept between a preview and its commit for their owner only, purged when old."""

from __future__ import annotations

import io
import os
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridmgr.errors import InvalidInput
from gridmgr.services.uploads import (
    STASH_DIR,
    discard_upload,
    display_name,
    import_wardens_upload,
    purge_stash,
    stash_upload,
    stashed_upload,
    upload_name,
)


@pytest.mark.parametrize(
    ("sent", "saved"),
    [
        ("../../etc/passwd.geojson", "passwd.geojson"),
        ("C:\\Users\\李\\公园.GeoJSON", "upload.geojson"),
        ("roads v2.zip", "roads_v2.zip"),
        ("cells", "cells"),
        ("x.json;rm -rf", "x.jsonrm_-rf"),
    ],
)
def test_uploads_are_saved_under_safe_names_that_keep_the_extension(sent, saved):
    from gridmgr.services.uploads import display_name, upload_name

    assert upload_name(sent) == saved
    assert "/" not in display_name(sent) and "\\" not in display_name(sent)


def test_saved_uploads_are_removed_and_messages_name_the_upload():
    from gridmgr.errors import InvalidInput
    from gridmgr.services.uploads import saved_upload

    folder = None
    with (
        pytest.raises(InvalidInput) as caught,
        saved_upload(io.BytesIO(b"{"), "我的.geojson") as path,
    ):
        folder = path.parent
        raise InvalidInput(f"{path}: bad")
    assert str(caught.value) == "我的.geojson: bad" and not folder.exists()


@given(name=st.text(max_size=300))
def test_any_name_gives_a_safe_file_name_and_a_showable_one(name):
    saved = upload_name(name)
    assert saved and "/" not in saved and "\\" not in saved and not saved.startswith(".")
    assert len(saved.encode()) <= 120 and saved.isascii()
    shown = display_name(name)
    assert shown and "/" not in shown and len(shown) <= 201
    assert not any(ord(c) < 32 or 0xD800 <= ord(c) <= 0xDFFF for c in shown)


def test_a_kept_upload_is_its_owners_until_discarded(tmp_path):
    token = stash_upload(tmp_path, io.BytesIO(b"{}"), "公园 v2.geojson", owner="planner1")
    path, name = stashed_upload(tmp_path, token, owner="planner1")
    assert path.read_bytes() == b"{}" and name == "公园 v2.geojson" and path.suffix == ".geojson"
    with pytest.raises(InvalidInput, match="is gone"):
        stashed_upload(tmp_path, token, owner="planner2")  # another's token reads as gone
    discard_upload(tmp_path, token, owner="planner2")  # ignored
    assert stashed_upload(tmp_path, token, owner="planner1")[0].exists()
    discard_upload(tmp_path, token, owner="planner1")
    with pytest.raises(InvalidInput, match="is gone"):
        stashed_upload(tmp_path, token, owner="planner1")
    for bad in ("", "../../etc", "0" * 31, token.upper()):
        with pytest.raises(InvalidInput, match="names no valid upload"):
            stashed_upload(tmp_path, bad, owner="planner1")
    with pytest.raises(InvalidInput, match="choose a file to upload"):
        stash_upload(tmp_path, io.BytesIO(b""), "", owner="planner1")


def test_old_kept_uploads_are_purged(tmp_path):
    old = stash_upload(tmp_path, io.BytesIO(b"1"), "a.geojson", owner="p")
    new = stash_upload(tmp_path, io.BytesIO(b"2"), "b.geojson", owner="p")
    day_ago = time.time() - 25 * 3600
    os.utime(tmp_path / STASH_DIR / old, (day_ago, day_ago))
    (tmp_path / STASH_DIR / "not-a-token").mkdir()
    assert purge_stash(tmp_path) == 1
    assert sorted(p.name for p in (tmp_path / STASH_DIR).iterdir()) == sorted([new, "not-a-token"])
    assert purge_stash(tmp_path / "elsewhere") == 0


def test_a_wardens_upload_that_is_binary_or_no_csv_is_refused_by_its_name(engine):
    with pytest.raises(InvalidInput, match=r"^名单\.csv: the file holds NUL bytes"):
        import_wardens_upload(engine, io.BytesIO(b"name,phone\n\x00\x01"), "C:\\x\\名单.csv")
    with pytest.raises(InvalidInput, match=r"^big\.csv: not a CSV text: .* a line over"):
        import_wardens_upload(engine, io.BytesIO(b"name,phone\n" + b"x" * 200_000), "big.csv")
    got = import_wardens_upload(
        engine, io.BytesIO("name,phone\n张伟,13800000000\n".encode()), "w.csv"
    )
    assert got.imported == 1
