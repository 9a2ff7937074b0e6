"""Any input file into raw features: its size checked first, GeoJSON parsed by `files.geojson`,
GeoPackage and (zipped) Shapefile read through pyogrio."""

from __future__ import annotations

import os
import re
import sqlite3
import stat
import warnings
import zipfile
from contextlib import closing
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj.exceptions import CRSError, ProjError

from gridmgr.errors import InvalidInput, LimitExceeded, NotFound, Phrase
from gridmgr.files.geojson import (
    RawFeature,
    check_lonlat,
    features_from_json,
    parse_text,
    text_from_bytes,
)

_LONLAT_EPSG = (4326, 4490)  # WGS84 and CGCS2000 (China's datum, within centimetres of WGS84)
_SQLITE_MAGIC = b"SQLite format 3\x00"
_ZIP_MAGIC = b"PK\x03\x04"
_SHP_MAGIC = b"\x00\x00\x27\x0a"


def read_file(
    path: str | os.PathLike, max_bytes: int, *, prefer: str
) -> tuple[list[RawFeature], list[str]]:
    """The features of a file and notes on what was read; its size is checked before a byte is read.

    `prefer` is the geometry type whose layer is read from a GeoPackage with several layers.
    """
    source = str(path)
    try:
        p = Path(path)
        info = p.stat()
    except FileNotFoundError:
        raise NotFound(f"{source}: no such file; check the path") from None
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"{source}: cannot open it: {_os_reason(exc)}") from None
    if stat.S_ISDIR(info.st_mode):
        raise InvalidInput(
            f"{source}: is a folder, not a file; give the .geojson, .gpkg, .shp or .zip inside it"
        )
    _check_size(info.st_size, max_bytes, source)
    if info.st_size == 0:
        raise InvalidInput.of("{source}: the file is empty (0 bytes)", source=source)
    suffix = p.suffix.lower()
    try:
        with p.open("rb") as fh:
            head = fh.read(16)
            ogr = _ogr_kind(head, suffix)
            data = b"" if ogr else head + fh.read(max_bytes + 1 - len(head))
    except OSError as exc:
        raise InvalidInput(f"{source}: cannot read it: {_os_reason(exc)}") from None
    if ogr:
        return _ogr_features(p, ogr, source, max_bytes, prefer)
    _check_size(len(data), max_bytes, source)  # it grew since stat
    if suffix in (".gpkg", ".zip", ".shp") and not data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(
        (b"{", b"[")
    ):
        raise InvalidInput.of(
            "{source}: not a {kind} file: its content does not start as one does; "
            "is it damaged, or misnamed?",
            source=source,
            kind=suffix[1:],
        )
    return features_from_json(parse_text(text_from_bytes(data, source), source), source), []


def _os_reason(exc: Exception) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    if isinstance(exc, PermissionError):
        return f"{text.lower()}; check the file's permissions"
    return text.lower()


def _check_size(size: int, max_bytes: int, source: str) -> None:
    if size > max_bytes:
        raise LimitExceeded(
            f"{source}: the file is {_bytes_text(size)}, over the limit of "
            f"{_bytes_text(max_bytes)}; raise GRIDMGR_MAX_FILE_MB to read it"
        )


def _bytes_text(n: float) -> str:
    if n >= 2**20:
        return f"{n / 2**20:,.1f} MB"
    return f"{n / 2**10:,.1f} KB" if n >= 2**10 else f"{int(n)} bytes"


def _ogr_kind(head: bytes, suffix: str) -> str | None:
    """'gpkg', 'zip' or 'shp' when the file is one (by its first bytes or its suffix), else None."""
    if head.startswith(_SQLITE_MAGIC):
        return "gpkg"
    if head.startswith(_ZIP_MAGIC):
        return "zip"
    if head.startswith(_SHP_MAGIC) or (suffix == ".shp" and not head.lstrip().startswith(b"{")):
        return "shp"
    return None


_OGR_NAMES = {"gpkg": "GeoPackage", "zip": "zipped Shapefile", "shp": "Shapefile"}


def _ogr_features(
    p: Path, kind: str, source: str, max_bytes: int, prefer: str
) -> tuple[list[RawFeature], list[str]]:
    """Features of a GeoPackage or (zipped) Shapefile through pyogrio, reprojected to lon/lat."""
    notes: list[str] = []
    if kind == "gpkg":
        _refuse_views(p, source)
    target = _zipped_shapefile(p, source, max_bytes, notes) if kind == "zip" else str(p)
    what = _OGR_NAMES[kind]
    hint = "; keep the .shp with its .shx, .dbf and .prj" if kind != "gpkg" else ""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GDAL's notes on odd files; failures still raise
        try:
            layers = pyogrio.list_layers(target)
        except Exception as exc:  # pyogrio raises several types; all mean "cannot read this"
            raise InvalidInput(f"{source}: cannot read it as a {what}: {exc}{hint}") from None
        layer = _pick_layer(layers, source, prefer, notes)
        try:
            frame = pyogrio.read_dataframe(target, layer=layer)
        except Exception as exc:
            raise InvalidInput(f"{source}: cannot read it as a {what}: {exc}{hint}") from None
    if len(frame) == 0:
        raise InvalidInput.of("{source}: the file holds no features", source=source)
    crs = frame.crs
    if crs is not None and crs.to_epsg() not in _LONLAT_EPSG:
        try:
            frame = frame.to_crs(4326)
        except (CRSError, ProjError) as exc:
            raise InvalidInput.of(
                "{source}: cannot convert its CRS ({crs}) to WGS84: {reason}",
                source=source,
                crs=crs.name,
                reason=str(exc),
            ) from None
    geoms = shapely.force_2d(np.asarray(frame.geometry.values, dtype=object))
    props = frame.drop(columns=frame.geometry.name).to_dict(orient="records")
    out = [
        RawFeature(index=k, properties={str(a): b for a, b in p.items() if not _missing(b)})
        for k, p in enumerate(props)
    ]
    for raw, geom in zip(out, geoms, strict=True):
        if geom is not None:
            raw.geometry, raw.type_name = geom, geom.geom_type
    # positions out of range: a projected CRS without a .prj, most likely
    xy, owner = shapely.get_coordinates(geoms, return_index=True)
    bad = ~np.isfinite(xy).all(axis=1) | (np.abs(xy[:, 0]) > 180) | (np.abs(xy[:, 1]) > 90)
    if bad.any():
        k = int(owner[np.flatnonzero(bad)[0]])
        check_lonlat(xy[owner == k], f"{source}: {out[k].label()}", "")
    return out, notes


def _refuse_views(p: Path, source: str) -> None:
    """Refuse a GeoPackage whose layers (or catalogue) are SQL views: reading a view runs its query,
    and a recursive one never ends, holding a server thread and memory. Only the schema is read."""
    uri = f"{p.resolve().as_uri()}?mode=ro&immutable=1"  # read only, no locks, no journal
    try:
        with closing(sqlite3.connect(uri, uri=True)) as db:
            db.execute("PRAGMA trusted_schema = OFF")
            views = {
                str(name).lower()
                for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'view'")
            }
            if not views:
                return
            catalogue = {"gpkg_contents", "gpkg_geometry_columns"} & views
            layers = [] if catalogue else db.execute("SELECT table_name FROM gpkg_contents")
            found = sorted(catalogue) or [str(n) for (n,) in layers if str(n).lower() in views]
    except sqlite3.Error:
        return  # not a readable SQLite file: GDAL says what is wrong with it
    if found:
        raise InvalidInput(
            f"{source}: the GeoPackage's layer {found[0][:60]!r} is a view (a stored query), which "
            "gridmgr does not run, as it may never end; save the layer as a table (QGIS: Export › "
            "Save Features As… GeoPackage) and upload that"
        )


def _missing(value: Any) -> bool:
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def _pick_layer(layers: np.ndarray, source: str, prefer: str, notes: list[str]) -> str:
    """The first layer with `prefer` geometries, else the first with any; a note if there are more."""
    spatial = [(str(name), str(kind)) for name, kind in layers if kind is not None]
    if not spatial:
        raise InvalidInput(f"{source}: the file holds no layer with geometries")
    preferred = [name for name, kind in spatial if prefer in kind]
    chosen = preferred[0] if preferred else spatial[0][0]
    if len(spatial) > 1:
        names = ", ".join(repr(name) for name, _kind in spatial[:10])
        notes.append(
            Phrase.of(
                "the file has {n} layers ({names}); only {chosen} was read",
                n=len(spatial),
                names=names,
                chosen=repr(chosen),
            )
        )
    return chosen


# a zipped Shapefile holds a handful of files; zipfile keeps every entry of a zip in memory
MAX_ZIP_ENTRIES = 1000
_UNSAFE_ENTRY = re.compile(r"(^/|^[A-Za-z]:|\\|(^|/)\.\.(/|$)|[\x00-\x1f])")


def _zip_directory_size(p: Path) -> tuple[int, int] | None:
    """The entry count and central directory size a zip's end record declares (zip64 too), read
    before zipfile loads the directory; None when there is no end record (zipfile then says why)."""
    with p.open("rb") as fh:
        size = fh.seek(0, os.SEEK_END)
        fh.seek(max(0, size - 22 - 0xFFFF))
        tail = fh.read()
        end = tail.rfind(b"PK\x05\x06")
        if end < 0 or end + 22 > len(tail):
            return None
        entries = int.from_bytes(tail[end + 10 : end + 12], "little")
        directory = int.from_bytes(tail[end + 12 : end + 16], "little")
        if end >= 20 and tail[end - 20 : end - 16] == b"PK\x06\x07":  # zip64: the real figures
            fh.seek(int.from_bytes(tail[end - 12 : end - 4], "little"))
            record = fh.read(56)
            if len(record) == 56 and record[:4] == b"PK\x06\x06":
                entries = int.from_bytes(record[32:40], "little")
                directory = int.from_bytes(record[40:48], "little")
    return entries, directory


def _zipped_shapefile(p: Path, source: str, max_bytes: int, notes: list[str]) -> str:
    declared = _zip_directory_size(p)
    if declared and (declared[0] > MAX_ZIP_ENTRIES or declared[1] > MAX_ZIP_ENTRIES * 1024):
        raise LimitExceeded(
            f"{source}: the zip holds {declared[0]:,} files (a {_bytes_text(declared[1])} "
            f"directory), over the limit of {MAX_ZIP_ENTRIES:,}; a zipped Shapefile needs only the "
            ".shp with its .shx, .dbf and .prj: zip just those"
        )
    try:
        with zipfile.ZipFile(p) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InvalidInput(f"{source}: not a readable zip file: {exc}") from None
    if sum(i.file_size for i in infos) > 4 * max_bytes:
        raise LimitExceeded(
            f"{source}: the zip unpacks to more than {_bytes_text(4 * max_bytes)}; "
            "raise GRIDMGR_MAX_FILE_MB to read it"
        )
    unsafe = [i.filename for i in infos if _UNSAFE_ENTRY.search(i.filename)]
    if unsafe:
        raise InvalidInput(
            f"{source}: the zip holds a file named {unsafe[0][:100]!r}, a path that leads out of the "
            "zip (absolute, '..', a backslash or a control character); gridmgr reads no such zip: "
            "zip the Shapefile's files themselves"
        )
    shps = [
        i.filename
        for i in infos
        if i.filename.lower().endswith(".shp")
        and not i.filename.startswith("__MACOSX/")
        and not Path(i.filename).name.startswith("._")
    ]
    if not shps:
        held = ", ".join(i.filename[:60] for i in infos[:5]) or "nothing"
        inner = any(i.filename.lower().endswith(".zip") for i in infos)
        nested = (
            "a zip inside a zip is not opened: upload the inner zip itself, or " if inner else ""
        )
        raise InvalidInput(
            f"{source}: the zip holds no .shp file (it holds {held}); {nested}zip the .shp with "
            "its .shx, .dbf and .prj"
        )
    if len(shps) > 1:
        notes.append(
            Phrase.of(
                "the zip holds {n} Shapefiles; only {chosen} was read",
                n=len(shps),
                chosen=repr(shps[0]),
            )
        )
    return f"/vsizip/{{{p.resolve()}}}/{shps[0]}"  # braces: the name need not end in .zip
