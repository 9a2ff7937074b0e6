"""The services' results as the API's JSON: each serialiser's output, from a real park on both
databases, is valid against its schema in the OpenAPI document and says what the result says."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gridmgr import services
from gridmgr.services.posts import set_cell_wardens
from gridmgr.web.api.serialise import (
    area_added_to_json,
    area_summary_to_json,
    area_to_feature,
    cell_wardens_to_json,
    grid_report_to_json,
    report_to_json,
    round_to_json,
    warden_cells_to_json,
)

from openapitools import valid as check
from servicetools import PARK

TZ = ZoneInfo("Asia/Shanghai")
CELL = "HAIBIN-CHILDRENS-PARK-001"


@pytest.fixture
def park(engine):
    made = services.add_area(engine, PARK, name="Haibin Children's Park", kind="park")
    check("AddedArea", area_added_to_json(made))
    return made.slug


def test_each_result_is_valid_against_its_schema_and_says_the_same(engine, park):
    report = services.grid(engine, park, count=12)
    got = grid_report_to_json(report)
    check("GridReport", got)
    assert got["cells"] == report.cells == 12 and got["plan_version"] == 1
    rows = services.list_areas(engine)
    for row in rows:
        check("AreaSummary", area_summary_to_json(row))
    feature = area_to_feature(services.get_area(engine, park))
    check("AreaFeature", feature)
    services.add_warden(engine, "张伟")
    posted = set_cell_wardens(engine, park, CELL, [{"name": "张伟", "role": "leader"}])
    check("CellWardens", cell_wardens_to_json(posted))
    services.set_schedule(engine, park, None)
    day = (datetime.now(TZ) + timedelta(days=1)).date()
    later = datetime.now(TZ) + timedelta(days=3)
    done = services.record_round(
        engine, park, CELL, "张伟", at=f"{day}T08:10", note="ok", now=later
    )
    round_json = round_to_json(done.round)
    check("Round", round_json)
    assert round_json["cell"] == CELL and round_json["note"] == "ok"
    coverage = services.coverage_report(engine, park, at=f"{day}T10:00")
    out = report_to_json(coverage)
    check("Coverage", out)
    assert out["cells_total"] == 12 and CELL in out["ok"]
    mine = services.warden_cells(engine, "张伟", at=f"{day}T10:00")
    check("MyCells", warden_cells_to_json(mine))
