"""A position sent with a round, `"location": {"lon", "lat", "accuracy_m"?}` (WGS84, as phones report
it), read from a JSON body or a page's form into the rules' Location."""

from __future__ import annotations

from typing import Any

from gridmgr.errors import InvalidInput
from gridmgr.rules.evidence import Location, checked_location


def location_of(value: Any) -> Location | None:
    """The body's "location" member as a Location, None when absent, InvalidInput when malformed."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidInput(
            '"location" must be an object {"lon", "lat", "accuracy_m"} in WGS84 degrees and metres'
        )
    unknown = sorted(set(value) - {"lon", "lat", "accuracy_m"})
    if unknown:
        raise InvalidInput(
            f'"location" has unknown members {", ".join(unknown)}; send "lon", "lat", "accuracy_m"'
        )
    return checked_location(value.get("lon"), value.get("lat"), value.get("accuracy_m"))


def form_location(form: Any) -> Location | None:
    """The position a page's form sent (fields lon, lat, accuracy_m; empty: none)."""
    lon, lat = (form.get(k, "").strip() for k in ("lon", "lat"))
    if not lon and not lat:
        return None
    accuracy = form.get("accuracy_m", "").strip()
    try:
        return checked_location(float(lon), float(lat), float(accuracy) if accuracy else None)
    except ValueError as exc:
        if isinstance(exc, InvalidInput):
            raise
        raise InvalidInput(
            "the position sent with the round is not a pair of numbers; log the round again"
        ) from None
