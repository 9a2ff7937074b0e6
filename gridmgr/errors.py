"""The GridmgrError family: every failure a user can cause, with a message meant for them."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, TypeVar

E = TypeVar("E", bound="GridmgrError")


class Phrase(str):
    """An English phrase used as a value of an error's template that pages translate too: a hint,
    or a part with values of its own made with `Phrase.of` (a "{source}: line {line}: " prefix)."""

    template: str | None = None
    values: Mapping[str, Any] = MappingProxyType({})

    @classmethod
    def of(cls, template: str, /, **values: Any) -> Phrase:
        """The phrase `template` filled from `values`, keeping both for translation."""
        phrase = cls(template.format(**values))
        phrase.template, phrase.values = template, dict(values)
        return phrase


def replaced_in(value: Any, old: str, new: str) -> Any:
    """`value` with `old` replaced by `new` in its text and in the values of a `Phrase.of`."""
    if isinstance(value, Phrase) and value.template is not None:
        return Phrase.of(
            value.template, **{k: replaced_in(v, old, new) for k, v in value.values.items()}
        )
    return type(value)(value.replace(old, new)) if isinstance(value, str) else value


class GridmgrError(Exception):
    """Base of every error gridmgr raises on purpose; its message is shown to the user as is.

    Raised as ``InvalidInput.of("{source}: no polygons in this file", source=…)`` it also keeps the
    English `template` and its `values`, so that the web pages can show it translated (see
    `gridmgr.web.i18n.error_text`); ``str(exc)`` is always the English sentence (CLI, JSON API, logs).
    """

    code = "error"
    template: str | None = None
    values: Mapping[str, Any] = MappingProxyType({})

    @classmethod
    def of(cls: type[E], template: str, /, *args: Any, **values: Any) -> E:
        """The error with `template` filled from `values` as its message, keeping both for translation
        (`args` go to the class after the message, e.g. RateLimited's retry_after_s)."""
        exc = cls(template.format(**values), *args)
        exc.template, exc.values = template, dict(values)
        return exc

    def replaced(self: E, old: str, new: str) -> E:
        """A copy naming `new` wherever the message (and its values) said `old` (an upload's saved path)."""
        exc = type(self)(str(self).replace(old, new))
        if self.template is not None:
            exc.template = self.template
            exc.values = {k: replaced_in(v, old, new) for k, v in self.values.items()}
        return exc


class InvalidInput(GridmgrError, ValueError):
    """Input that cannot be used: a bad file, feature, geometry, option or value."""

    code = "invalid_input"


class NotFound(GridmgrError, LookupError):
    """A named thing (area, cell, warden, file) that does not exist."""

    code = "not_found"


class Conflict(GridmgrError):
    """A change that clashes with the current state, such as a concurrent re-grid."""

    code = "conflict"


class AtCapacity(Conflict):
    """Entries a cap refuses: they would take the people inside past the area's limit, or the current
    slot's entries past its quota (or no entry slot is open); `details` says how many more may enter."""

    code = "at_capacity"

    def __init__(self, message: str, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.details: dict[str, Any] = dict(details or {})


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
