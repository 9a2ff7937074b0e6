"""Names for the numpy arrays the geometry passes around, so signatures say what an array holds."""

from __future__ import annotations

from typing import Any, TypeAlias, TypeVar

import numpy as np
import numpy.typing as npt
from shapely.geometry.base import BaseGeometry

GeoArray: TypeAlias = npt.NDArray[np.object_]  # shapely geometries, one per element
# coordinates, areas, lengths (float64 in practice; numpy types arithmetic on ints as any float)
Floats: TypeAlias = npt.NDArray[np.floating[Any]]
Ints: TypeAlias = npt.NDArray[np.int64]  # lattice indices, keys, positions
Bools: TypeAlias = npt.NDArray[np.bool_]  # masks

# one geometry or an array of them, returned as the same kind (a Polygon stays a Polygon)
GeometryOrArray = TypeVar("GeometryOrArray", bound=BaseGeometry | GeoArray)
