"""Checkpoints as the API's JSON: a checkpoint, a count, the occupancy and its curve, valid against their
OpenAPI schemas and saying what the services say."""

from __future__ import annotations

from gridmgr import services
from gridmgr.services.checkpoints import add_checkpoint, list_checkpoints, set_capacity
from gridmgr.services.finding_views import Actor
from gridmgr.services.occupancy import occupancy, occupancy_curve, record_count
from gridmgr.web.api.checkpoints_json import (
    capacity_to_json,
    checkpoint_to_json,
    count_to_json,
    curve_to_json,
    occupancy_to_json,
)

from openapitools import valid
from servicetools import PARK

BOSS = Actor("manager", "manager")


def test_checkpoints_counts_and_occupancy_are_valid_json(engine):
    slug = services.add_area(engine, PARK, name="Daowai", kind="park").slug
    gate = add_checkpoint(engine, slug, name="北门", lon=120.4641, lat=36.1030)
    caps = set_capacity(engine, slug, instant=600)
    assert capacity_to_json(caps) == {
        "area": slug, "limit": 600, "max_capacity": None, "percent": None, "instant": 600, "slots": [],
        "limit_from": "own",
    }  # fmt: skip
    for info in list_checkpoints(engine, slug):
        got = checkpoint_to_json(info)
        valid("Checkpoint", got)
        assert got["name"] == "北门"
    made, _ = record_count(engine, slug, gate.id, BOSS, n_in=12)
    count = count_to_json(made)
    valid("Count", count)
    now = occupancy(engine, slug)
    out = occupancy_to_json(now)
    valid("Occupancy", out)
    assert (out["occupancy"], out["limit"], out["entries_today"]) == (12, 600, 12)
    assert out["limit_from"] == "own"
    assert [(c["name"], c["in"], c["out"]) for c in out["checkpoints"]] == [("北门", 12, 0)]
    valid("OccupancyCurve", curve_to_json(occupancy_curve(engine, slug)))
