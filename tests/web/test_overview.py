"""The overview page on SQLite and PostGIS: children coloured by each figure with a legend, the table
sortable by every column, the breadcrumb up within the user's scope, drill-down links, zh-CN/en."""

from __future__ import annotations

import random
import re

import pytest
from treetools import AT, seed_tree

from gridmgr import services
from gridmgr.services.rollup import rollup
from gridmgr.web.overview import COLUMNS, FIGURES, bands, value_of

from webtools import PASSWORD, login

NAMES = [
    "道里区",
    "新阳路街道",
    "经纬街道",
    "建国社区",
    "友谊社区",
    "安静社区",
    "共乐社区",
    "兆麟社区",
]
TREE = [None, 0, 0, 1, 1, 2, 2, 2]


@pytest.fixture
def city(engine, app_factory):
    tree = seed_tree(engine, TREE, random.Random(21), names=NAMES, gridded=1.0)
    services.add_user(engine, "boss", role="manager", password=PASSWORD)
    services.add_user(engine, "chen", role="manager", password=PASSWORD, scope=tree.slugs[2])
    services.add_user(engine, "wang", role="planner", password=PASSWORD)
    app = app_factory(TILES_URL="")
    return app, tree


def children_in_table(html: str) -> list[str]:
    return re.findall(r'<tr data-child="([^"]+)"', html)


def test_every_figure_colours_the_children_with_a_legend(city, engine):
    app, tree = city
    client = app.test_client()
    login(client, "boss")
    street = tree.slugs[2]
    rolled = rollup(engine, street)
    for figure in FIGURES:
        got = client.get(f"/areas/{street}/overview?figure={figure}")
        html = got.get_data(as_text=True)
        assert got.status_code == 200, html[:300]
        keys, legend = bands(figure, [value_of(c, figure) for c in rolled.children])
        for child, key in zip(rolled.children, keys, strict=True):
            assert f'<tr data-child="{child.slug}" data-band="{key}">' in html
        assert {k for k in keys} <= {b.key for b in legend}
        for b in legend:  # the legend names every band, in the map's script
            assert b.style["fillColor"] in html
    bad = client.get(f"/areas/{street}/overview?figure=nonsense")
    assert bad.status_code == 422 and "coverage" in bad.get_data(as_text=True)


def test_bands_put_better_values_in_better_bands():
    ratios = [0.2, 0.6, 0.9, 0.97, 1.0, None]
    keys, legend = bands("coverage", ratios)
    assert keys == ["b4", "b3", "b2", "b1", "b0", "none"] and legend[-1].key == "none"
    rng = random.Random(3)
    for _ in range(50):
        counts = [rng.randrange(0, 40) for _ in range(rng.randrange(1, 9))]
        keys, legend = bands("overdue", counts)
        order = sorted(range(len(counts)), key=lambda k: counts[k])
        ranks = [int(keys[k][1:]) for k in order]
        assert ranks == sorted(ranks)  # more overdue, never a better band
        assert all((keys[k] == "b0") == (counts[k] == 0) for k in range(len(counts)))
        assert set(keys) <= {b.key for b in legend}


def test_the_table_sorts_by_every_column(city, engine):
    app, tree = city
    client = app.test_client()
    login(client, "boss")
    street = tree.slugs[2]
    rows = {c.slug: c for c in rollup(engine, street, at=AT).children}
    for column in COLUMNS:
        for order in ("", "desc"):
            html = client.get(
                f"/areas/{street}/overview?sort={column}&order={order}&at={AT}"
            ).get_data(as_text=True)
            listed = children_in_table(html)
            assert sorted(listed) == sorted(rows)
            values = [value_of(rows[s], column) for s in listed]
            present = [v for v in values if v is not None]
            assert present == sorted(present, reverse=order == "desc"), column
            assert values == present + [None] * (len(values) - len(present))  # missing ones last
            assert f'aria-sort="{"descending" if order else "ascending"}"' in html


def test_breadcrumb_and_drill_down_links(city):
    app, tree = city
    client = app.test_client()
    login(client, "boss")
    district, street, community = tree.slugs[0], tree.slugs[1], tree.slugs[3]
    top = client.get(f"/areas/{district}/overview").get_data(as_text=True)
    assert f'href="/areas/{street}/overview?figure=coverage"' in top
    mid = client.get(f"/areas/{street}/overview").get_data(as_text=True)
    assert f'data-crumb="{district}"' in mid
    assert f'href="/areas/{community}/overview?figure=coverage"' in mid
    assert f'class="to-map" href="/areas/{community}/map"' in mid  # a leaf: its coverage map too
    leaf = client.get(f"/areas/{community}/overview").get_data(as_text=True)
    assert re.search(r'data-crumb="' + district + '".*data-crumb="' + street + '"', leaf, re.S)
    assert f'href="/areas/{community}/map"' in leaf


def test_a_scoped_manager_sees_the_breadcrumb_from_its_area_down(city):
    app, tree = city
    client = app.test_client()
    login(client, "chen")
    street = tree.slugs[2]
    own = client.get(f"/areas/{street}/overview").get_data(as_text=True)
    assert "data-crumb=" not in own  # its own area is the top it sees
    below = client.get(f"/areas/{tree.slugs[5]}/overview").get_data(as_text=True)
    assert f'data-crumb="{street}"' in below and f'data-crumb="{tree.slugs[0]}"' not in below
    assert client.get(f"/areas/{tree.slugs[0]}/overview").status_code == 404
    assert client.get(f"/areas/{tree.slugs[1]}/overview").status_code == 404
    planner = app.test_client()
    login(planner, "wang")
    assert planner.get(f"/areas/{street}/overview").status_code == 403


def test_the_page_in_chinese_and_english(city):
    app, tree = city
    client = app.test_client()
    login(client, "boss")
    client.get("/lang/zh-CN")
    zh = client.get(f"/areas/{tree.slugs[0]}/overview").get_data(as_text=True)
    assert "下级区域" in zh and "整改率" in zh and "新阳路街道" in zh
    client.get("/lang/en")
    en = client.get(f"/areas/{tree.slugs[0]}/overview").get_data(as_text=True)
    assert "Areas below" in en and "Rectification rate" in en


def test_the_leaders_of_the_area_and_its_children_are_named(city, engine):
    """Issue 15: a named leader (and deputy) per area, shown on its overview."""
    from gridmgr.services.leaders import set_leaders

    app, tree = city
    district, street = tree.slugs[0], tree.slugs[1]
    set_leaders(engine, district, leader="王伟", leader_phone="13900000000", deputy="李娜")
    set_leaders(engine, street, leader="张强")
    client = app.test_client()
    login(client, "boss")
    top = client.get(f"/areas/{district}/overview").get_data(as_text=True)
    own = re.search(rf'<p class="leaders" data-leaders="{district}">(.*?)</p>', top).group(1)
    assert "王伟 (13900000000)" in own and "李娜" in own
    kid = re.search(rf'data-leader="{street}">(.*?)</small>', top).group(1)
    assert "张强" in kid
    assert f'data-leader="{tree.slugs[2]}"' not in top  # no leader named: nothing shown
