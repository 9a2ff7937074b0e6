"""Cells balanced by workload (issue 18, part 2): synthetic households over a district outline."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely

from gridmgr.errors import InvalidInput
from gridmgr.geometry.gridding import cells_from_area
from gridmgr.geometry.projection import metric_crs, to_metric, to_wgs84
from gridmgr.geometry.weighted import Weights, weight_balanced_cells, weight_masses

from gridcheck import assert_tiles, star

# a made-up district about 7 by 5 km near Beijing, its outline irregular
DISTRICT = shapely.Polygon(
    star(116.30, 39.95, [3600, 3100, 2500, 2900, 3300, 2600, 2200, 2700, 3400, 3000, 2400, 2800])
)


def households(seed: int = 18) -> tuple[np.ndarray, np.ndarray]:
    """(metric xy, the district in metric): a dense estate of 20,000 households (a tight cluster
    west of the centre) beside sparse villages of 2,000 (five small clusters of 400), reproducible."""
    crs = metric_crs(DISTRICT)
    region = to_metric(DISTRICT, crs)
    rng = np.random.default_rng(seed)
    xmin, ymin, xmax, ymax = region.bounds
    w, h = xmax - xmin, ymax - ymin

    def cluster(n: int, fx: float, fy: float, sd: float) -> np.ndarray:
        got = np.zeros((0, 2))
        while len(got) < n:
            p = rng.normal([xmin + fx * w, ymin + fy * h], sd, size=(n, 2))
            got = np.concatenate([got, p[shapely.contains_xy(region, p[:, 0], p[:, 1])]])
        return got[:n]

    estate = cluster(20_000, 0.38, 0.5, 350.0)
    villages = [
        cluster(400, fx, fy, 120.0)
        for fx, fy in [(0.75, 0.3), (0.7, 0.72), (0.3, 0.2), (0.85, 0.55), (0.5, 0.85)]
    ]
    return np.concatenate([estate, *villages]), region


def household_weights() -> Weights:
    xy, _ = households()
    crs = metric_crs(DISTRICT)
    return Weights(to_wgs84(shapely.points(xy), crs), np.ones(len(xy)))


def polsby_popper(geoms: np.ndarray) -> np.ndarray:
    return 4 * math.pi * shapely.area(geoms) / shapely.length(geoms) ** 2


def test_fifty_cells_balance_the_households():
    """The issue's acceptance: 50 cells, CV of households per cell at most 0.05, mean
    Polsby-Popper at least 0.5, every cell one piece (the district is one piece)."""
    cells = cells_from_area(DISTRICT, count=50, weight=household_weights())
    geoms = assert_tiles(cells, DISTRICT)
    assert len(cells) == 50
    w = cells["weight"].to_numpy()
    assert w.sum() == pytest.approx(22_000)
    assert w.std() / w.mean() <= 0.05, w
    assert polsby_popper(geoms).mean() >= 0.5
    assert (shapely.get_num_geometries(geoms) == 1).all()
    q = cells.attrs["quality"]
    assert q["weight_cv"] == pytest.approx(w.std() / w.mean(), abs=1e-4)
    assert q["weight_total"] == pytest.approx(22_000)
    assert len(q["weight_worst"]) == 5 and q["weight_worst"][0]["code"] in set(cells["code"])
    # the estate's cells are small and the villages' large: area is not what was balanced
    assert cells["area_m2"].max() > 20 * cells["area_m2"].min()


def test_target_weight_sets_the_count():
    cells = cells_from_area(DISTRICT, target_weight=400, weight=household_weights())
    assert len(cells) == math.ceil(22_000 / 400) == 55
    w = cells["weight"].to_numpy()
    assert w.std() / w.mean() <= 0.05


def test_cell_size_mode_carries_the_weight_of_each_cell():
    cells = cells_from_area(DISTRICT, cell_size=1000.0, weight=household_weights())
    assert cells["weight"].sum() == pytest.approx(22_000)
    assert "weight_cv" in cells.attrs["quality"]


def test_a_polygon_spreads_its_figure_over_its_area():
    """A polygon's figure counts by area: a 2 x 1 km rectangle of 3,000 people cut in 2 across its
    long side gives 1,500 each, and masses sum to the figure."""
    region = shapely.box(0, 0, 2000, 1000)
    xy, mass = weight_masses(np.array([region]), np.array([3000.0]), 50.0)
    assert mass.sum() == pytest.approx(3000)
    cells, weights = weight_balanced_cells(region, 2, xy, mass)
    assert weights == pytest.approx([1500, 1500], rel=0.02)
    assert sorted(shapely.area(cells)) == pytest.approx([1e6, 1e6], rel=0.02)


def test_without_weight_inside_a_piece_it_is_cut_by_area():
    region = shapely.box(0, 0, 1000, 1000)
    cells, weights = weight_balanced_cells(region, 4, np.zeros((0, 2)), np.zeros(0))
    assert len(cells) == 4 and (weights == 0).all()
    assert shapely.area(cells) == pytest.approx([250_000] * 4)


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"target_weight": 400}, "needs the weight"),
        ({"target_weight": 400, "count": 5, "weight": True}, "not both"),
        ({"target_weight": -1, "weight": True}, "positive number"),
    ],
)
def test_bad_target_weight_options(options, words):
    if options.pop("weight", False):
        options["weight"] = household_weights()
    with pytest.raises(InvalidInput, match=words):
        cells_from_area(DISTRICT, **options)


def test_weight_outside_the_area_counts_nowhere():
    far = Weights(np.array([shapely.Point(0.0, 0.0)]), np.array([5.0]))
    with pytest.raises(InvalidInput, match="no weight lies inside the area"):
        cells_from_area(DISTRICT, target_weight=1, weight=far)


@pytest.mark.parametrize("turn", [0.0, 0.3, 1.1, 2.0])
def test_a_notched_piece_splits_in_two_whole_halves_of_equal_weight(turn):
    """Issue 18's defect in weighted form: a square notched deep in its middle, weight spread
    evenly and mirrored about the notch; every vertical, horizontal or diagonal cut that halves the
    weight (turned by `turn`) crosses the notch, but the cut along it halves the weight and leaves
    both halves whole, so the cells must be one piece each and equal in weight."""
    w, a, b, d = 1000.0, 450.0, 550.0, 150.0
    ring = [(0, 0), (w, 0), (w, w), (b, w), (b, d), (a, d), (a, w), (0, w)]
    c, s = math.cos(turn), math.sin(turn)

    def turned(xy):
        xy = np.asarray(xy, dtype=float)
        return np.column_stack([xy[:, 0] * c - xy[:, 1] * s, xy[:, 0] * s + xy[:, 1] * c]) + 4e5

    piece = shapely.Polygon(turned(ring))
    gx, gy = np.meshgrid(np.arange(12.5, w, 25.0), np.arange(12.5, w, 25.0))
    xy = np.column_stack([gx.ravel(), gy.ravel()])
    xy = xy[
        shapely.contains_xy(shapely.Polygon(ring), xy[:, 0], xy[:, 1])
    ]  # mirrored about x = 500
    cells, weights = weight_balanced_cells(piece, 2, turned(xy), np.ones(len(xy)))
    assert [shapely.get_num_geometries(cell) for cell in cells] == [1, 1]
    assert weights.tolist() == [len(xy) / 2] * 2
