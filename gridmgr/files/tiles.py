"""Mapbox Vector Tiles (MVT, protobuf) written in Python with the mapbox-vector-tile package: the
SQLite way to the tiles PostGIS makes with ST_AsMVT (`gridmgr.db.tiles`)."""

from __future__ import annotations

import gc
from collections.abc import Mapping, Sequence
from typing import Any

import mapbox_vector_tile
import numpy as np
import numpy.typing as npt

from gridmgr.geometry.tiles import EXTENT

MVT_TYPE = "application/vnd.mapbox-vector-tile"


def encode_tile(
    layer: str, shapes: npt.NDArray[np.object_], properties: Mapping[str, Sequence[Any]]
) -> bytes:
    """One layer of features as MVT bytes: `shapes` already in the tile's units, valid and with MVT's
    ring order (see `geometry.tiles.shapes_in_tile`; None is left out), with each property column's
    value; b"" when no feature is left."""
    names = list(properties)
    columns = [list(properties[n]) for n in names]
    # tens of thousands of small dicts and protobuf objects set off full collections of the whole
    # heap, which cost a third of the time: the collector waits (as for the cells API's JSON)
    was = gc.isenabled()
    gc.disable()
    try:
        features = [
            {
                "geometry": g,
                "properties": {n: col[k] for n, col in zip(names, columns, strict=True)},
            }
            for k, g in enumerate(shapes)
            if g is not None
        ]
        if not features:
            return b""
        encoded: bytes = mapbox_vector_tile.encode(
            [{"name": layer, "features": features}],
            # the shapes come oriented and valid: the package's own check costs half the time
            default_options={"extents": EXTENT, "y_coord_down": True, "check_winding_order": False},
        )
    finally:
        if was:
            gc.enable()
    return encoded
