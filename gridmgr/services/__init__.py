"""Use cases that combine geometry and storage: the only layer that touches both."""

from gridmgr.services._common import get_area
from gridmgr.services.areas import add_area, list_areas
from gridmgr.services.mine import warden_cells
from gridmgr.services.plans import grid, restore_plan
from gridmgr.services.reports import export_plan, list_plans, log_round, plan_cells
from gridmgr.services.staff import add_warden, assign, auto_assign, import_wardens, set_schedule
from gridmgr.services.status import coverage_report
from gridmgr.services.users import (
    add_user,
    authenticate,
    get_user,
    issue_token,
    list_users,
    revoke_token,
    user_for_token,
)

__all__ = [
    "add_area",
    "add_user",
    "add_warden",
    "assign",
    "authenticate",
    "auto_assign",
    "coverage_report",
    "export_plan",
    "get_area",
    "get_user",
    "grid",
    "import_wardens",
    "issue_token",
    "list_areas",
    "list_plans",
    "list_users",
    "log_round",
    "plan_cells",
    "restore_plan",
    "revoke_token",
    "set_schedule",
    "user_for_token",
    "warden_cells",
]
