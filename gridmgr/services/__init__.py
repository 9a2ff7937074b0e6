"""Use cases that combine geometry and storage: the only layer that touches both."""

from gridmgr.services.areas import AreaInfo, add_area, get_area, list_areas
from gridmgr.services.coverage import (
    CellStates,
    CoverageMap,
    CoverageReport,
    coverage_map,
    coverage_report,
)
from gridmgr.services.mine import MyCell, WardenCells, warden_cells
from gridmgr.services.plans import grid, restore_plan
from gridmgr.services.preview import check_unchanged, preview_grid
from gridmgr.services.reports import export_plan, list_plans, log_round, plan_cells
from gridmgr.services.roster import (
    AreaStaff,
    StaffCell,
    area_staff,
    list_wardens,
    unassign,
    warden_names,
)
from gridmgr.services.staff import add_warden, assign, auto_assign, import_wardens, set_schedule
from gridmgr.services.uploads import (
    add_area_upload,
    discard_upload,
    import_wardens_upload,
    named_as,
    saved_upload,
    stash_upload,
    stashed_upload,
)
from gridmgr.services.users import (
    add_user,
    authenticate,
    issue_token,
    list_users,
    revoke_token,
    user_for_token,
)

__all__ = [
    "AreaInfo",
    "AreaStaff",
    "CellStates",
    "CoverageMap",
    "CoverageReport",
    "MyCell",
    "StaffCell",
    "WardenCells",
    "add_area",
    "add_area_upload",
    "add_user",
    "add_warden",
    "area_staff",
    "assign",
    "authenticate",
    "auto_assign",
    "check_unchanged",
    "coverage_map",
    "coverage_report",
    "discard_upload",
    "export_plan",
    "get_area",
    "grid",
    "import_wardens",
    "import_wardens_upload",
    "issue_token",
    "list_areas",
    "list_plans",
    "list_users",
    "list_wardens",
    "log_round",
    "named_as",
    "plan_cells",
    "preview_grid",
    "restore_plan",
    "revoke_token",
    "saved_upload",
    "set_schedule",
    "stash_upload",
    "stashed_upload",
    "unassign",
    "user_for_token",
    "warden_cells",
    "warden_names",
]
