"""Use cases that combine geometry and storage: the only layer that touches both."""

from gridmgr.services._common import get_area
from gridmgr.services.areas import add_area, list_areas
from gridmgr.services.plans import grid, restore_plan
from gridmgr.services.reports import export_plan, list_plans, log_round, plan_cells
from gridmgr.services.staff import add_warden, assign, auto_assign, import_wardens, set_schedule
from gridmgr.services.status import coverage_report

__all__ = [
    "add_area",
    "add_warden",
    "assign",
    "auto_assign",
    "coverage_report",
    "export_plan",
    "get_area",
    "grid",
    "import_wardens",
    "list_areas",
    "list_plans",
    "log_round",
    "plan_cells",
    "restore_plan",
    "set_schedule",
]
