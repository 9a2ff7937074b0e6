"""gridmgr.files.tiles: features in a tile's units become one MVT layer that decodes back to the same
shapes and properties; shapes left out (None) are not written; nothing left is an empty tile."""

from __future__ import annotations

import mapbox_vector_tile
import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmgr.files.tiles import encode_tile
from gridmgr.geometry.tiles import EXTENT


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, EXTENT - 20), st.integers(0, EXTENT - 20), st.integers(1, 20)),
        min_size=1,
        max_size=12,
    ),
    st.integers(0, 11),
)
def test_features_decode_back_to_their_shapes_and_properties(boxes, dropped):
    # counter-clockwise in y-down numbers, as geometry.tiles.shapes_in_tile leaves them
    shapes = np.array(
        [shapely.reverse(shapely.normalize(shapely.box(x, y, x + w, y + w))) for x, y, w in boxes],
        dtype=object,
    )
    if dropped < len(shapes):
        shapes[dropped] = None
    codes = [f"C-{k:03d}" for k in range(len(shapes))]
    data = encode_tile("cells", shapes, {"code": codes, "wardens_count": list(range(len(shapes)))})
    kept = [k for k, g in enumerate(shapes) if g is not None]
    if not kept:
        assert data == b""
        return
    layer = mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})["cells"]
    assert layer["extent"] == EXTENT
    got = {f["properties"]["code"]: f for f in layer["features"]}
    assert sorted(got) == [codes[k] for k in kept]
    for k in kept:
        feature = got[codes[k]]
        assert feature["properties"]["wardens_count"] == k
        back = shapely.geometry.shape(feature["geometry"])
        assert back.normalize().equals_exact(shapes[k].normalize(), tolerance=0)


def test_nothing_to_write_is_an_empty_tile():
    assert encode_tile("cells", np.array([None, None], dtype=object), {"code": ["a", "b"]}) == b""
