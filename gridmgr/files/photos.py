"""Photos as evidence: a phone's JPEG, PNG, WebP or HEIC decoded with Pillow, checked, turned upright,
re-encoded as JPEG of at most 1,600 px with a thumbnail, and stripped of EXIF; the EXIF position is
returned beside the image (kept as evidence, never served).

Decoding is the check: a file that does not decode whole as one of those formats is refused, so a
truncated image, a renamed document or script, or a polyglot (an image with something else glued on)
never reaches the database as it came: only pixels re-encoded here are stored.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from gridmgr.errors import InvalidInput, LimitExceeded

MAX_BYTES = 10 * 1024 * 1024  # a phone photo, as sent
MAX_PIXELS = 48_000_000  # decoded size: a 48 MP camera; more is a decompression bomb
MAX_SIDE = 1600  # stored image, longest side
THUMB_SIDE = 320  # thumbnail for lists and map popups
JPEG_QUALITY = 85
FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
GPS_IFD = 0x8825


def _register_heif() -> bool:
    """Let Pillow open HEIC/HEIF (iPhone photos) through pillow-heif; False where it is missing."""
    try:
        from pillow_heif import register_heif_opener
    except ImportError:  # pragma: no cover - a dependency; a broken install refuses HEIC clearly
        return False
    register_heif_opener()
    return True


HEIF = _register_heif()


@dataclass(frozen=True)
class Photo:
    """A photo ready to store: re-encoded JPEG and thumbnail, their size, digest and EXIF position."""

    data: bytes
    thumb: bytes
    mime: str
    width: int
    height: int
    sha256: str
    exif_lon: float | None
    exif_lat: float | None


def photo_from_bytes(data: bytes, *, name: str = "photo") -> Photo:
    """Decode, check and re-encode an uploaded photo; InvalidInput (or LimitExceeded) naming `name`."""
    if len(data) > MAX_BYTES:
        raise LimitExceeded.of(
            "{name}: the photo is {mb} MB; at most {limit} MB each",
            name=name,
            mb=f"{len(data) / 1024 / 1024:.1f}",
            limit=MAX_BYTES // (1024 * 1024),
        )
    if not data:
        raise InvalidInput.of("{name}: the photo is empty (0 bytes)", name=name)
    image = _opened(data, name)
    position = _exif_position(image)
    try:
        upright = ImageOps.exif_transpose(image)
        upright = upright.convert("RGB")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise InvalidInput.of(
            "{name}: the image is damaged or cut short ({reason}); take or send the photo again",
            name=name,
            reason=str(exc)[:120] or type(exc).__name__,
        ) from None
    full = _downscaled(upright, MAX_SIDE)
    thumb = _downscaled(upright, THUMB_SIDE)
    stored = _jpeg(full)
    return Photo(
        data=stored,
        thumb=_jpeg(thumb),
        mime="image/jpeg",
        width=full.width,
        height=full.height,
        sha256=hashlib.sha256(stored).hexdigest(),
        exif_lon=position[0] if position else None,
        exif_lat=position[1] if position else None,
    )


def _opened(data: bytes, name: str) -> Image.Image:
    """The image header read and its size checked before any pixel is decoded."""
    with warnings.catch_warnings():
        # the size is checked against MAX_PIXELS right below, before any pixel is decoded
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=FORMATS)
        except Image.DecompressionBombError:
            raise _too_many_pixels(name) from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
            raise InvalidInput.of(
                "{name}: not a photo gridmgr takes: send a JPEG, PNG, WebP or HEIC image{heic}",
                name=name,
                heic="" if HEIF else " (HEIC is not available on this server: send JPEG)",
            ) from None
    width, height = image.size
    if width * height > MAX_PIXELS or width < 1 or height < 1:
        raise _too_many_pixels(name, width, height)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()  # decode every pixel now: a truncated file fails here, not later
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise InvalidInput.of(
            "{name}: the image is damaged or cut short ({reason}); take or send the photo again",
            name=name,
            reason=str(exc)[:120] or type(exc).__name__,
        ) from None
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise _too_many_pixels(name) from None
    return image


def _too_many_pixels(name: str, width: int = 0, height: int = 0) -> LimitExceeded:
    size = f"{width} × {height} px" if width else "too many pixels"
    return LimitExceeded.of(
        "{name}: the image is {size}; at most {limit} million pixels are taken (a larger image "
        "is refused as a decompression bomb)",
        name=name,
        size=size,
        limit=MAX_PIXELS // 1_000_000,
    )


def _downscaled(image: Image.Image, side: int) -> Image.Image:
    """A copy whose longest side is at most `side` pixels (never enlarged)."""
    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    return copy


def _jpeg(image: Image.Image) -> bytes:
    """The pixels as a JPEG with no metadata at all (no EXIF, no position)."""
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()


def _exif_position(image: Image.Image) -> tuple[float, float] | None:
    """The (lon, lat) the camera wrote in EXIF, or None (missing or unreadable)."""
    try:
        gps = image.getexif().get_ifd(GPS_IFD)
        lat = _degrees(gps[2], gps.get(1, "N"), "S")
        lon = _degrees(gps[4], gps.get(3, "E"), "W")
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError, AttributeError):
        return None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return None
    return lon, lat


def _degrees(dms: tuple, ref: str | bytes, negative: str) -> float:
    """EXIF degrees, minutes, seconds (rationals) and a hemisphere letter as signed degrees."""
    d, m, s = (float(x) for x in dms)
    value = d + m / 60 + s / 3600
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    return -value if str(ref).upper().startswith(negative) else value
