"""The chain of responsibility (责任链): each area's leader and deputy, set by `area set` and read along
an area's path up (district → street → community), as exports show them."""

from __future__ import annotations

import re

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gridmgr.db.models import Area
from gridmgr.db.queries import get_area, record_audit
from gridmgr.db.store import reading, transaction
from gridmgr.db.tree import ancestor_ids
from gridmgr.errors import InvalidInput
from gridmgr.services.areas import Leaders, leaders_of

_FIELDS = ("leader", "leader_phone", "deputy", "deputy_phone")
_PHONE = re.compile(r"[0-9+()\- ]{3,40}")


def set_leaders(
    engine: Engine,
    slug: str,
    *,
    leader: str | None = None,
    leader_phone: str | None = None,
    deputy: str | None = None,
    deputy_phone: str | None = None,
    actor: str = "cli",
) -> Leaders:
    """Set the area's leader and deputy (and their phones); None keeps a field, "" clears it. Audited
    with the old and new values; one transaction. Returns the area's leaders now."""
    checked = checked_leaders(
        leader=leader, leader_phone=leader_phone, deputy=deputy, deputy_phone=deputy_phone
    )
    if not checked:
        raise InvalidInput(
            "say what to set: --leader NAME, --leader-phone P, --deputy NAME or --deputy-phone P"
        )
    with transaction(engine) as s:
        return apply_leaders(s, get_area(s, slug), checked, actor=actor)


def checked_leaders(**given: str | None) -> dict[str, str | None]:
    """The leader fields given (None: not given), each checked and tidied ("" clears a field: None)."""
    unknown = set(given) - set(_FIELDS)
    if unknown:
        raise InvalidInput(f"no such leader field: {', '.join(sorted(unknown))}")
    return {k: _checked(k, v) for k, v in given.items() if v is not None}


def apply_leaders(s: Session, area: Area, checked: dict[str, str | None], *, actor: str) -> Leaders:
    """Set checked leader fields in the caller's transaction, audited; the area's leaders now."""
    old = {k: getattr(area, k) for k in checked}
    for k, v in checked.items():
        setattr(area, k, v)
    record_audit(s, actor, "area.leaders", area.id, old=old, new=checked)
    return leaders_of(area)


def _checked(field: str, value: str) -> str | None:
    text = " ".join(value.split())
    if not text:
        return None
    if field.endswith("phone"):
        if not _PHONE.fullmatch(text):
            raise InvalidInput.of(
                "--{option} {value!r}: a phone number is 3 to 40 digits, with + ( ) - or spaces",
                option=field.replace("_", "-"),
                value=value,
            )
    elif len(text) > 120:
        raise InvalidInput.of(
            "--{option}: a name may be at most 120 characters", option=field.replace("_", "-")
        )
    return text


def chain_leaders(s: Session, area: Area) -> str:
    """The leaders along the area's path from the root down to it, as one line for exports:
    "哈尔滨市: 王伟 13900000000, deputy 李娜; 道里区: 张强" (areas with nobody set left out)."""
    path = [*ancestor_ids(s, area.id), area.id]
    rows = {a.id: a for a in s.execute(select(Area).where(Area.id.in_(path))).scalars()}
    parts = []
    for area_id in path:
        people = leaders_of(rows[area_id])
        who = [
            " ".join(x for x in (people.leader, people.leader_phone) if x),
            " ".join(x for x in (people.deputy, people.deputy_phone) if x),
        ]
        if people.deputy:
            who[1] = f"deputy {who[1]}"
        text = ", ".join(w for w in who if w)
        if text:
            parts.append(f"{rows[area_id].name}: {text}")
    return "; ".join(parts)


def area_chain_leaders(engine: Engine, slug: str) -> str:
    """`chain_leaders` of the area with this slug."""
    with reading(engine) as s:
        return chain_leaders(s, get_area(s, slug))
