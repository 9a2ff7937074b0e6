"""Square and hexagonal lattices on a fixed metric origin: cell indices, corners and neighbours."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import cast

import numpy as np
import numpy.typing as npt
import shapely

from gridmgr.geometry.arrays import Floats, GeoArray, Ints

SQRT3 = math.sqrt(3.0)


@dataclass(frozen=True)
class Lattice:
    """A lattice of equal cells whose origin is the CRS origin, so the same size gives the same cells.

    Cells are indexed by integer (i, j): column west to east, row south to north. Corners are
    indexed by integer vertex keys and placed only from those keys, so cells that share a
    corner share it bit for bit.
    """

    shape: str
    size: float  # side of a square, or the side of a square of the same area for hexagons

    @property
    def side(self) -> float:
        """Edge length of one cell."""
        if self.shape == "square":
            return self.size
        return self.size * math.sqrt(2.0 / (3.0 * SQRT3))

    @property
    def full_area(self) -> float:
        """Area of one whole cell in m²."""
        return self.size * self.size

    @property
    def full_perimeter(self) -> float:
        """Perimeter of one whole cell in metres."""
        return (4 if self.shape == "square" else 6) * self.side

    @property
    def reach(self) -> float:
        """A distance d such that a disc of radius d around any point of a cell lies in it and its neighbours."""
        if self.shape == "square":
            return self.size
        return self.side * SQRT3 / 2.0  # the inradius

    # --- where points fall -------------------------------------------------------------
    def cell_of(self, x: Floats, y: Floats) -> tuple[Ints, Ints]:
        """Indices of the cells holding each point."""
        if self.shape == "square":
            return np.floor(x / self.size).astype(np.int64), np.floor(y / self.size).astype(
                np.int64
            )
        # the hexagon of a point is the one with the nearest centre; rows j0 and j0+1 hold it
        j0 = np.floor(y / (1.5 * self.side)).astype(np.int64)
        j1 = j0 + 1
        i0, d0 = self._nearest_in_row(x, y, j0)
        i1, d1 = self._nearest_in_row(x, y, j1)
        closer = d1 < d0
        return np.where(closer, i1, i0), np.where(closer, j1, j0)

    def _nearest_in_row(self, x: Floats, y: Floats, j: Ints) -> tuple[Ints, Floats]:
        """The hexagon of row j whose centre is nearest each point, and the squared distance to it."""
        i = np.round(x / (SQRT3 * self.side) - 0.5 * (j & 1)).astype(np.int64)
        cx, cy = self.centres(i, j)
        return i, (cx - x) ** 2 + (cy - y) ** 2

    def centres(self, i: Ints, j: Ints) -> tuple[Floats, Floats]:
        """Centre coordinates of cells."""
        if self.shape == "square":
            return (i + 0.5) * self.size, (j + 0.5) * self.size
        a = self.side
        return (i + 0.5 * (j & 1)) * (SQRT3 * a), j * (1.5 * a)

    def bounds(self, i: Ints, j: Ints) -> tuple[Floats, Floats, Floats, Floats]:
        """Bounding boxes (xmin, ymin, xmax, ymax) of cells."""
        if self.shape == "square":
            s = self.size
            return i * s, j * s, (i + 1) * s, (j + 1) * s
        cx, cy = self.centres(i, j)
        a = self.side
        hw = SQRT3 * a / 2.0
        return cx - hw, cy - a, cx + hw, cy + a

    # --- neighbours ----------------------------------------------------------------------
    def neighbours(self, i: Ints, j: Ints, *, with_self: bool = False) -> tuple[Ints, Ints]:
        """Indices of the cells around each cell, as (n, k) arrays (8 around a square, 6 around a hexagon)."""
        if self.shape == "square":
            offs = [
                (di, dj)
                for dj in (-1, 0, 1)
                for di in (-1, 0, 1)
                if with_self or (di, dj) != (0, 0)
            ]
            di = np.array([o[0] for o in offs])
            dj = np.array([o[1] for o in offs])
            return i[:, None] + di[None, :], j[:, None] + dj[None, :]
        # "odd-r" offset rows: odd rows sit half a cell east
        even = [(-1, 0), (1, 0), (-1, -1), (0, -1), (-1, 1), (0, 1)]
        odd = [(-1, 0), (1, 0), (0, -1), (1, -1), (0, 1), (1, 1)]
        if with_self:
            even = [(0, 0), *even]
            odd = [(0, 0), *odd]
        e = np.array(even)
        o = np.array(odd)
        is_odd = (j & 1).astype(bool)[:, None]
        di = np.where(is_odd, o[None, :, 0], e[None, :, 0])
        dj = np.where(is_odd, o[None, :, 1], e[None, :, 1])
        return i[:, None] + di, j[:, None] + dj

    def edge_neighbours(self, i: Ints, j: Ints) -> tuple[Ints, Ints]:
        """Indices of the cells that share an edge with each cell (4 for squares, 6 for hexagons)."""
        if self.shape == "hex":
            return self.neighbours(i, j)
        di = np.array([-1, 1, 0, 0])
        dj = np.array([0, 0, -1, 1])
        return i[:, None] + di[None, :], j[:, None] + dj[None, :]

    # --- corners -------------------------------------------------------------------------
    def corner_keys(self, i: Ints, j: Ints) -> tuple[Ints, Ints]:
        """Integer keys of each cell's corners, counter-clockwise, as (n, k) arrays."""
        if self.shape == "square":
            di = np.array([0, 1, 1, 0])
            dj = np.array([0, 0, 1, 1])
            return i[:, None] + di[None, :], j[:, None] + dj[None, :]
        # corner x in units of half a hexagon width, y in units of half a side
        xc = 2 * i + (j & 1)
        yc = 3 * j
        dx = np.array([0, 1, 1, 0, -1, -1])
        dy = np.array([-2, -1, 1, 2, 1, -1])
        return xc[:, None] + dx[None, :], yc[:, None] + dy[None, :]

    def corner_xy(self, kx: Ints, ky: Ints) -> tuple[Floats, Floats]:
        """Coordinates of corners from their keys alone."""
        if self.shape == "square":
            return kx * self.size, ky * self.size
        a = self.side
        return kx * (SQRT3 * a / 2.0), ky * (a / 2.0)

    def index_range(
        self, xmin: float, ymin: float, xmax: float, ymax: float
    ) -> tuple[int, int, int, int]:
        """Inclusive index ranges (i0, i1, j0, j1) of every cell that can touch a bounding box."""
        xs = np.array([xmin, xmax, xmin, xmax])
        ys = np.array([ymin, ymin, ymax, ymax])
        i, j = self.cell_of(xs, ys)
        return int(i.min()) - 1, int(i.max()) + 1, int(j.min()) - 1, int(j.max()) + 1


def pack(i: npt.ArrayLike, j: npt.ArrayLike) -> Ints:
    """One int64 key per (i, j) pair, for sorting and joins."""
    return (np.asarray(j, np.int64) << 32) + (np.asarray(i, np.int64) + (1 << 31))


def unpack(key: npt.ArrayLike) -> tuple[Ints, Ints]:
    """The (i, j) pairs behind keys made by `pack`."""
    key = np.asarray(key, np.int64)
    j = key >> 32
    i = (key - (j << 32)) - (1 << 31)
    return i, j


def cell_polygons(lattice: Lattice, i: Ints, j: Ints) -> GeoArray:
    """Metric polygons of cells, corners placed from their integer keys."""
    kx, ky = lattice.corner_keys(i, j)
    x, y = lattice.corner_xy(kx, ky)
    ring = np.stack([np.concatenate([x, x[:, :1]], 1), np.concatenate([y, y[:, :1]], 1)], axis=2)
    # one polygon per cell (the stubs cannot tell from the rings' shape that this is an array)
    return cast(GeoArray, shapely.polygons(ring))
