"""The GridmgrError family: every failure a user can cause, with a message meant for them."""

from __future__ import annotations


class GridmgrError(Exception):
    """Base of every error gridmgr raises on purpose; its message is shown to the user as is."""

    code = "error"


class InvalidInput(GridmgrError, ValueError):
    """Input that cannot be used: a bad file, feature, geometry, option or value."""

    code = "invalid_input"


class NotFound(GridmgrError, LookupError):
    """A named thing (area, cell, warden, file) that does not exist."""

    code = "not_found"


class Conflict(GridmgrError):
    """A change that clashes with the current state, such as a concurrent re-grid."""

    code = "conflict"


class Forbidden(GridmgrError):
    """An action the current user's role does not allow."""

    code = "forbidden"


class LimitExceeded(InvalidInput):
    """Input over a configured limit (file size, area, cell count), refused before heavy work."""

    code = "limit_exceeded"


class RateLimited(GridmgrError):
    """Too many attempts (failed logins) in a short time; says when to try again."""

    code = "rate_limited"

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class DatabaseUnavailable(GridmgrError):
    """The database cannot take the request now (read-only, disk full, down); nothing was written."""

    code = "database_unavailable"


class DiskFull(DatabaseUnavailable):
    """The database's disk is full: the write was refused whole; says where to free space."""

    code = "disk_full"
