"""Photos as evidence: what a phone sends is decoded, turned upright, downscaled, re-encoded without
EXIF (the position kept beside it); bombs, truncated files, wrong types and polyglots are refused or
defused."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from gridmgr.errors import InvalidInput, LimitExceeded
from gridmgr.files.photos import HEIF, MAX_SIDE, THUMB_SIDE, photo_from_bytes

from webtools import png_bomb


def image_bytes(fmt: str, size=(2000, 1000), exif: Image.Exif | None = None) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, (30, 120, 200))
    image.paste((250, 0, 0), (0, 0, size[0] // 4, size[1] // 4))  # a red top-left corner
    kwargs = {"exif": exif} if exif is not None else {}
    image.save(out, format=fmt, **kwargs)
    return out.getvalue()


def exif_with(orientation: int | None = None, lonlat: tuple[float, float] | None = None):
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    if lonlat:
        lon, lat = lonlat

        def dms(value: float):
            d = int(value)
            m = int((value - d) * 60)
            s = round(((value - d) * 60 - m) * 60 * 100)
            return (IFDRational(d, 1), IFDRational(m, 1), IFDRational(s, 100))

        exif[0x8825] = {1: "N", 2: dms(lat), 3: "E", 4: dms(lon)}
    return exif


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_phone_formats_are_downscaled_and_re_encoded_as_jpeg(fmt):
    got = photo_from_bytes(image_bytes(fmt), name=f"p.{fmt.lower()}")
    assert got.mime == "image/jpeg" and got.data[:2] == b"\xff\xd8"
    assert (got.width, got.height) == (MAX_SIDE, 800)
    thumb = Image.open(io.BytesIO(got.thumb))
    assert max(thumb.size) == THUMB_SIDE
    assert len(got.sha256) == 64


@pytest.mark.skipif(not HEIF, reason="pillow-heif is not installed")
def test_heic_from_an_iphone_is_taken():
    got = photo_from_bytes(image_bytes("HEIF", (640, 480)), name="IMG_0001.HEIC")
    assert got.mime == "image/jpeg" and (got.width, got.height) == (640, 480)


def test_exif_orientation_is_applied_and_the_position_kept_but_not_served():
    sideways = exif_with(orientation=6, lonlat=(126.6346, 45.7567))  # rotate 90° clockwise
    got = photo_from_bytes(image_bytes("JPEG", (400, 200), sideways), name="phone.jpg")
    assert (got.width, got.height) == (200, 400)  # upright
    served = Image.open(io.BytesIO(got.data))
    assert served.getpixel((190, 10))[0] > 200  # the red corner is now top-right
    assert got.exif_lon == pytest.approx(126.6346, abs=1e-4)
    assert got.exif_lat == pytest.approx(45.7567, abs=1e-4)
    assert not served.getexif() and b"Exif" not in got.data and b"Exif" not in got.thumb


def test_a_decompression_bomb_is_refused_before_decoding():
    with pytest.raises(LimitExceeded, match="million pixels"):
        photo_from_bytes(png_bomb(30_000, 30_000), name="bomb.png")
    with pytest.raises(LimitExceeded, match="10000 × 9000 px"):
        photo_from_bytes(png_bomb(10_000, 9_000), name="big.png")


def test_truncated_wrong_type_and_polyglot_files():
    whole = image_bytes("JPEG", (800, 600))
    with pytest.raises(InvalidInput, match="damaged or cut short"):
        photo_from_bytes(whole[: len(whole) // 2], name="cut.jpg")
    for name, data in [
        ("page.jpg", b"<html><script>alert(1)</script></html>"),
        ("anim.gif", image_bytes("GIF", (20, 20))),
        ("doc.pdf", b"%PDF-1.4\n1 0 obj\n"),
        ("empty.jpg", b""),
    ]:
        with pytest.raises(InvalidInput, match=name):
            photo_from_bytes(data, name=name)
    # a JPEG with a zip (or a script) glued on: the pixels are kept, the rest never stored
    glued = whole + b"PK\x03\x04" + b"payload" * 100 + b"<script>alert(1)</script>"
    got = photo_from_bytes(glued, name="polyglot.jpg")
    assert b"payload" not in got.data and b"<script>" not in got.data


def test_over_ten_megabytes_is_refused_unread():
    with pytest.raises(LimitExceeded, match="at most 10 MB"):
        photo_from_bytes(b"\xff\xd8" + bytes(10 * 1024 * 1024), name="huge.jpg")
