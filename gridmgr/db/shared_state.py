"""State that every `gridmgr serve` process on one database shares: the session-signing key, failed
logins, and large-upload slots (advisory locks on PostgreSQL, a leased table on SQLite).

Nothing here lives in a process: any number of servers on any machines count and lock alike.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, delete, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import InternalError, OperationalError

from gridmgr.db.models import LoginFailure, Setting, UploadSlot, utcnow
from gridmgr.db.store import database_fault, is_postgres, reading, transaction

SECRET_KEY = "secret_key"
# the advisory-lock class of upload slots, one per schema (several deployments, or tests, may
# share a PostgreSQL database in schemas of their own)
_UPLOAD_LOCK_CLASS = "hashtext(current_schema() || '.gridmgr.upload_slots')"


def shared_secret(engine: Engine, *, adopt: str | None = None) -> str:
    """The deployment's session-signing key, made once for every server: the stored one, else
    `adopt` (an instance folder's older key, so its sessions hold), else a new random one.

    Two servers starting at once both insert; the database keeps the first and both read it back.
    """
    with reading(engine) as s:
        stored = s.get(Setting, SECRET_KEY)
    if stored is not None:
        return stored.value
    insert = pg_insert if is_postgres(engine) else sqlite_insert
    with transaction(engine) as s:
        s.execute(
            insert(Setting)
            .values(name=SECRET_KEY, value=adopt or secrets.token_hex(32), created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["name"])
        )
    with reading(engine) as s:
        return s.execute(select(Setting.value).where(Setting.name == SECRET_KEY)).scalar_one()


@dataclass(frozen=True)
class FailureCount:
    """Failed logins of one key within the window, and when the oldest of them was (epoch s)."""

    count: int
    oldest_s: float | None


def recent_failures(
    engine: Engine, keys: Iterable[tuple[str, str]], *, since_s: float
) -> dict[tuple[str, str], FailureCount]:
    """Failed logins per (kind, key) since `since_s`, counted over every server."""
    found: dict[tuple[str, str], FailureCount] = {}
    with reading(engine) as s:
        for kind, key in keys:
            count, oldest = s.execute(
                select(func.count(), func.min(LoginFailure.at_s)).where(
                    LoginFailure.kind == kind, LoginFailure.key == key, LoginFailure.at_s > since_s
                )
            ).one()
            found[(kind, key)] = FailureCount(int(count), oldest)
    return found


def add_failure(
    engine: Engine, keys: Iterable[tuple[str, str]], *, at_s: float, prune_before_s: float
) -> None:
    """Count a failed login against each (kind, key), and drop failures older than the window."""
    with transaction(engine) as s:
        s.execute(delete(LoginFailure).where(LoginFailure.at_s <= prune_before_s))
        s.add_all(LoginFailure(kind=kind, key=key, at_s=at_s) for kind, key in keys)


def clear_failures(engine: Engine, kind: str, key: str) -> None:
    """Forget the failures of one key (a user who got the password right)."""
    with transaction(engine) as s:
        s.execute(delete(LoginFailure).where(LoginFailure.kind == kind, LoginFailure.key == key))


@dataclass
class HeldSlot:
    """A large-upload slot held by this request: an advisory lock on a connection of its own
    (PostgreSQL), or a row with a lease (SQLite)."""

    slot: int
    holder: str
    connection: Connection | None = None


def take_upload_slot(engine: Engine, *, slots: int, lease_s: float) -> HeldSlot | None:
    """One of `slots` large-upload slots shared by every server, or None when all are taken.

    PostgreSQL: a session advisory lock per slot, on a connection held until the slot is given
    back; a server that dies drops its connection and with it the lock. SQLite: a row per taken
    slot, written in a write transaction; a row whose lease ran out (its process died) is free.
    """
    holder = secrets.token_hex(16)
    if is_postgres(engine):
        try:
            conn = engine.connect()
        except (OperationalError, InternalError) as exc:
            raise database_fault(engine, exc) from None
        try:
            for slot in range(slots):
                got = conn.execute(
                    text(f"SELECT pg_try_advisory_lock({_UPLOAD_LOCK_CLASS}, :slot)"),
                    {"slot": slot},
                ).scalar_one()
                if got:
                    conn.commit()  # the lock is the session's; no transaction stays open
                    return HeldSlot(slot, holder, conn)
            conn.commit()
        except BaseException as exc:
            conn.invalidate()  # whatever it holds dies with it
            conn.close()
            if isinstance(exc, OperationalError | InternalError):
                raise database_fault(engine, exc) from None
            raise
        conn.close()
        return None
    now = time.time()
    with transaction(engine) as s:
        s.execute(delete(UploadSlot).where(UploadSlot.until_s <= now))
        taken = set(s.execute(select(UploadSlot.slot)).scalars())
        free = next((k for k in range(slots) if k not in taken), None)
        if free is None:
            return None
        s.add(UploadSlot(slot=free, holder=holder, until_s=now + lease_s))
    return HeldSlot(free, holder)


def give_back_upload_slot(engine: Engine, held: HeldSlot) -> None:
    """Free a slot taken by take_upload_slot (a lapsed lease that another request took stays theirs)."""
    if held.connection is not None:
        conn, held.connection = held.connection, None
        try:
            conn.execute(
                text(f"SELECT pg_advisory_unlock({_UPLOAD_LOCK_CLASS}, :slot)"),
                {"slot": held.slot},
            )
            conn.commit()
        except (OperationalError, InternalError):
            conn.invalidate()  # the server is gone or failing: the lock went with the session
        except BaseException:
            conn.invalidate()  # the lock must not go back to the pool with the connection
            raise
        finally:
            conn.close()
        return
    with transaction(engine) as s:
        s.execute(
            delete(UploadSlot).where(UploadSlot.slot == held.slot, UploadSlot.holder == held.holder)
        )


def prune(engine: Engine, *, failures_before_s: float) -> tuple[int, int]:
    """Drop failed logins older than `failures_before_s` and upload slots whose lease ran out (the
    servers do it as they go; `gridmgr maintain` does it for a quiet deployment): how many of each."""
    now = time.time()
    with transaction(engine) as s:
        failures = s.execute(delete(LoginFailure).where(LoginFailure.at_s < failures_before_s))
        slots = s.execute(delete(UploadSlot).where(UploadSlot.until_s <= now))
    return int(failures.rowcount or 0), int(slots.rowcount or 0)  # type: ignore[attr-defined]
