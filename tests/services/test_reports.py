"""Reading plans back: the plan history and exports of any version with wardens and schedules (SQLite and PostGIS)."""

from __future__ import annotations

import geopandas as gpd
import pytest

from gridmgr import services
from gridmgr.errors import NotFound


def test_export_carries_wardens_and_schedules(engine, park, tmp_path):
    services.add_warden(engine, "张伟")
    services.assign(engine, park, ["HAIBIN-CHILDRENS-PARK-003"], "张伟", role="leader")
    services.set_schedule(engine, park, ["HAIBIN-CHILDRENS-PARK-003"], extra=1)
    for name in ("plan.gpkg", "plan.geojson"):
        services.export_plan(engine, park, tmp_path / name)
        back = gpd.read_file(tmp_path / name)
        row = back[back["code"] == "HAIBIN-CHILDRENS-PARK-003"].iloc[0]
        assert row["wardens"] == "张伟 (leader)" and row["schedule"] == "08:00,12:00,18:00 +1"
        assert len(back) == 30
    gcj = services.export_plan(engine, park, tmp_path / "gcj.geojson", crs="gcj02")
    assert gcj.crs == "gcj02" and gcj.cells == 30 and gcj.output == tmp_path / "gcj.geojson"


def test_earlier_plans_stay_readable(engine, park, tmp_path):
    services.grid(engine, park, count=8)
    history = services.list_plans(engine, park)
    assert [(p.version, p.active, p.cells) for p in history] == [
        (1, False, 30),
        (2, True, 8),
    ]
    services.export_plan(engine, park, tmp_path / "v1.geojson", version=1)
    assert len(gpd.read_file(tmp_path / "v1.geojson")) == 30
    with pytest.raises(NotFound, match="no plan version 5"):
        services.export_plan(engine, park, tmp_path / "v5.geojson", version=5)
