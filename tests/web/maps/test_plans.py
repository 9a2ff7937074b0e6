"""The plan and staff maps' pieces: a cell's weight band around the mean, the roster's cells as the
maps take them, and where a page fetches a plan too big to inline."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from gridmgr import services
from gridmgr.web.maps.plans import WEIGHT_LABELS, plan_cells_url, roster_cells, weight_bands

EDGES = {
    "low": (0, 0.8),
    "under": (0.8, 0.95),
    "even": (0.95, 1.05),
    "over": (1.05, 1.2),
    "high": (1.2, np.inf),
}


@given(weights=st.lists(st.floats(0, 1e6), max_size=40))
def test_each_cell_falls_in_the_band_of_its_share_of_the_mean(weights):
    series = pd.Series(weights, dtype=float)
    bands = weight_bands(series)
    assert len(bands) == len(weights) and set(bands) <= set(WEIGHT_LABELS)
    mean = series.mean() if len(series) else 0.0
    for w, band in zip(weights, bands, strict=True):
        share = w / mean if mean > 0 else 1.0
        lo, hi = EDGES[band]
        assert lo <= share < hi


def test_the_rosters_cells_and_the_cells_url(site, engine):
    app, seeded = site
    staff = services.area_staff(engine, seeded.slug)
    cells = roster_cells(staff)
    assert list(cells["code"]) == [c.code for c in staff.cells] and cells.crs.to_epsg() == 4326
    first = cells.iloc[0]
    assert first["posts"] == [("warden1", "member")]
    assert first["schedule"] == {"times": "08:00,12:00,18:00", "extra": 1}
    assert "weight" not in cells  # the seeded plan was not made with a weight
    with app.test_request_context("/"):
        url = plan_cells_url(seeded.slug)
    assert url.startswith(f"/api/v1/areas/{seeded.slug}/cells?") and "precision=6" in url
