"""Cutting along real road data (issue 18): un-noded junctions, dual carriageways and crumbs, on random
street networks whose roads stop up to the snapping distance short of the road they meet."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmgr.geometry.blocks import blocks_from_lines
from gridmgr.geometry.gridding import cells_from_area
from gridmgr.geometry.projection import metric_crs, to_metric, to_wgs84

from gridcheck import PROPERTY, assert_ground_fits, divided_cells, star


def _streets(draw, half: float, spacing: float, gap_m: float) -> list[shapely.LineString]:
    """Streets across a square of half-side `half`: north-south ones run through, east-west ones
    stop up to `gap_m` short of (or overshoot by up to `gap_m`) each north-south street they meet,
    as junctions in crawled road data do; some streets are dual carriageways 6 to 30 m apart."""

    def positions() -> np.ndarray:
        n = max(2, int(2 * half / spacing))
        base = np.linspace(-half, half, n + 2)[1:-1]
        jitter = draw(st.lists(st.floats(-0.15, 0.15), min_size=n, max_size=n))
        return base + np.array(jitter) * spacing

    xs, ys = positions(), positions()
    dual_x = [draw(st.floats(6, 30)) if draw(st.integers(0, 3)) == 0 else 0.0 for _ in xs]
    dual_y = [draw(st.floats(6, 30)) if draw(st.integers(0, 3)) == 0 else 0.0 for _ in ys]
    verticals = [x for x, d in zip(xs, dual_x, strict=True) for x in ((x, x + d) if d else (x,))]
    lines = [shapely.LineString([(x, -half - 50), (x, half + 50)]) for x in verticals]
    stops = np.array([-half - 50, *sorted(verticals), half + 50])
    for y, d in zip(ys, dual_y, strict=True):
        for yy in (y, y + d) if d else (y,):
            for a, b in itertools.pairwise(stops):
                ga = draw(st.floats(-gap_m, gap_m))  # negative: overshoots the junction
                gb = draw(st.floats(-gap_m, gap_m))
                lines.append(shapely.LineString([(a + ga, yy), (b - gb, yy)]))
    return lines


@st.composite
def road_networks(draw):
    """(area in WGS84, roads in WGS84, cell size): a district outline over a street grid."""
    lon, lat = draw(st.floats(-170, 170)), draw(st.floats(-60, 60))
    size = draw(st.sampled_from([250.0, 400.0]))
    spacing = size * draw(st.floats(1.5, 3.0))
    half = 4.5 * size
    radii = [half * r for r in draw(st.lists(st.floats(0.7, 1.0), min_size=9, max_size=9))]
    ring = star(0.0, 0.0, radii)  # degrees near (0, 0): made metric below
    outline = shapely.Polygon(ring * 111_320.0)
    roads = _streets(draw, half, spacing, draw(st.floats(0.0, 0.9)))
    crs = metric_crs(shapely.Point(lon, lat))
    x0, y0 = to_metric(shapely.Point(lon, lat), crs).coords[0]
    moved = [shapely.affinity.translate(g, x0, y0) for g in [outline, *roads]]
    wgs = to_wgs84(np.array(moved, dtype=object), crs)
    return wgs[0], shapely.MultiLineString(list(wgs[1:])), size


@settings(PROPERTY, max_examples=max(PROPERTY.max_examples // 3, 10))  # each one grids a district
@given(network=road_networks())
def test_cells_fit_random_unnoded_street_networks(network):
    """The issue's numbers on random un-noded networks: few small cells, not too many cells, and no
    cell cut in two by a road (junction gaps of up to 0.9 m count as closed). Streets run 1.5 to 3
    cells apart: closer, blocks of half a cell each make a cell or cross a road, and no grid keeps
    both the count and the roads."""
    area, roads, size = network
    cells = cells_from_area(area, cell_size=size, split_by=roads)
    assert_ground_fits(cells, area, roads, size * size, inset_m=0.5)


def test_a_road_stopping_short_of_its_junction_divides_once_snapped():
    """A side street ending 60 cm short of the main road divides the land with the default 1 m
    snapping (two blocks), and not with --snap 0 (one block, the street a dead end)."""
    region = shapely.box(0, 0, 1000, 1000)
    main = shapely.LineString([(500, -10), (500, 1010)])
    side = shapely.LineString([(-10, 400), (499.4, 400)])
    joined = blocks_from_lines(region, np.array([main, side]), snap=1.0)
    assert len(joined.blocks) == 3 and joined.ends_joined == 1
    assert joined.joined_m == pytest.approx(0.6, abs=0.06)
    loose = blocks_from_lines(region, np.array([main, side]), snap=0.0)
    assert len(loose.blocks) == 2 and loose.ends_joined == 0
    assert loose.idle_m == pytest.approx(499.4, abs=0.1)


def test_the_strip_between_carriageways_joins_a_block_and_is_reported_by_name():
    """A dual carriageway 20 m apart leaves a strip of 20,000 m²: under 0.35 of a 400 m cell, it
    joins the block beside it across the shorter line, and the report names that line."""
    region = shapely.box(0, 0, 1000, 1000)
    north = shapely.LineString([(-10, 510), (1010, 510)])
    south = shapely.LineString([(-10, 490), (1010, 490)])
    got = blocks_from_lines(
        region, np.array([north, south]), ["North Rd", "South Rd"], crumb_m2=0.35 * 400**2
    )
    assert len(got.blocks) == 2 and got.crumbs_joined == 1
    assert sorted(shapely.area(got.blocks)) == pytest.approx([490_000, 510_000])
    ((name, metres),) = got.crossed_m.items()
    assert name in ("North Rd", "South Rd") and metres == pytest.approx(1000, rel=1e-6)
    # each block's own ground: the one that took the strip in without it, the other all of it
    assert sorted(shapely.area(got.own)) == pytest.approx([490_000, 490_000])
    assert shapely.within(got.own, got.blocks).all()
    strip = shapely.box(0, 490, 1000, 510)
    assert (shapely.area(shapely.intersection(got.own, strip)) < 1e-6).all()


def test_large_blocks_are_subdivided_never_across_a_line():
    """Blocks larger than a cell are gridded to about the cell size, and no cell crosses a road."""
    crs = metric_crs(shapely.Point(116.3, 39.9))
    x0, y0 = to_metric(shapely.Point(116.3, 39.9), crs).coords[0]
    region = shapely.box(x0, y0, x0 + 2000, y0 + 1200)
    road = shapely.LineString([(x0 + 730, y0 - 5), (x0 + 730, y0 + 1205)])
    area, lines = to_wgs84(region, crs), to_wgs84(road, crs)
    cells = cells_from_area(area, cell_size=200.0, split_by=lines)
    geoms = to_metric(np.asarray(cells.geometry.values), crs)
    assert 55 <= len(cells) <= 1.5 * region.area / 200**2
    assert not divided_cells(geoms, road, 1.0)
    assert cells.attrs["quality"]["blocks"] == 2
    assert math.isclose(shapely.area(geoms).sum(), region.area, rel_tol=1e-9)
