"""Re-grid migration: posts never lost, staffed ground stays staffed, schedules follow, codes kept."""

from __future__ import annotations

import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmgr.geometry.gridding import cells_from_area
from gridmgr.geometry.projection import metric_crs, to_metric
from gridmgr.geometry.regrid import migrate

AREA = shapely.Polygon(
    [
        (120.460, 36.100),
        (120.471, 36.1004),
        (120.4695, 36.1083),
        (120.4651, 36.1046),
        (120.4602, 36.1079),
    ]
)
CRS = metric_crs(AREA)


def metric_cells(**kwargs) -> np.ndarray:
    return to_metric(np.asarray(cells_from_area(AREA, **kwargs).geometry.values), CRS)


@settings(max_examples=30, deadline=None)
@given(n_old=st.integers(2, 40), n_new=st.integers(2, 40), data=st.data())
def test_migration_keeps_every_post_and_staffs_staffed_ground(n_old, n_new, data):
    old = metric_cells(count=n_old)
    new = (
        metric_cells(count=n_new)
        if data.draw(st.booleans())
        else metric_cells(cell_size=data.draw(st.floats(60, 200)))
    )
    staffed = data.draw(st.lists(st.booleans(), min_size=n_old, max_size=n_old))
    posts = [[(k, "member")] if s else [] for k, s in enumerate(staffed)]
    scheduled = np.array(data.draw(st.lists(st.booleans(), min_size=n_old, max_size=n_old)))
    mig = migrate(old, [f"O{k}" for k in range(n_old)], posts, scheduled, new)
    posted = {w for _, w, _ in mig.posts}
    assert posted == {k for k, s in enumerate(staffed) if s}  # nobody loses a post
    staffed_ground = (
        shapely.union_all(old[np.array(staffed)]) if any(staffed) else shapely.Polygon()
    )
    has_staff = {k for k, _, _ in mig.posts}
    for k, cell in enumerate(new):
        if shapely.area(shapely.intersection(cell, staffed_ground)) > 1e-6:
            assert k in has_staff  # no staffed ground becomes unstaffed
        j = mig.main_old[k]
        assert mig.schedule_from[k] == (j if scheduled[j] else -1)


def test_identical_cells_keep_their_codes():
    cells = metric_cells(count=12)
    mig = migrate(
        cells, [f"C{k}" for k in range(12)], [[] for _ in range(12)], np.zeros(12, bool), cells
    )
    assert mig.kept_code == [f"C{k}" for k in range(12)]
    other = metric_cells(count=13)
    mig = migrate(
        cells, [f"C{k}" for k in range(12)], [[] for _ in range(12)], np.zeros(12, bool), other
    )
    assert sum(c is not None for c in mig.kept_code) < 12


def test_findings_go_to_their_points_cell_else_where_their_old_cell_went_most():
    from gridmgr.geometry.regrid import finding_cells, migrate

    old = np.array([shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10)])
    new = np.array([shapely.box(0, 0, 6, 10), shapely.box(6, 0, 20, 10)])
    mig = migrate(old, ["A", "B"], [[], []], np.zeros(2, bool), new)
    assert mig.main_new.tolist() == [0, 1]
    points = np.array([shapely.Point(8, 5), None, shapely.Point(50, 50), None], dtype=object)
    got = finding_cells(np.array([0, 0, 1, -1]), points, new, mig.main_new)
    # a point in the second new cell; no point: where cell A went most; a point outside every
    # new cell: where its old cell went; no cell known: nowhere
    assert got.tolist() == [1, 0, 1, -1]
