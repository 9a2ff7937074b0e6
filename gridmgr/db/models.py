"""SQLAlchemy 2 models: areas (nested), grid plans and cells, wardens and their posts, schedules, rounds
(with their evidence), users, audit, findings with their events and photos, and the state every
server shares (settings, login failures, upload slots)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import UserDefinedType

USER_ROLES = ("manager", "planner", "warden")


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (stored as such on both databases)."""
    return datetime.now(UTC)


class PostGISGeometry(UserDefinedType):
    """A PostGIS geometry column in EPSG:4326 that takes and gives WKB bytes."""

    cache_ok = True

    def get_col_spec(self, **kw: object) -> str:
        return "geometry(Geometry, 4326)"

    def bind_expression(self, bindvalue):
        return func.ST_GeomFromWKB(bindvalue, 4326)

    def column_expression(self, col):
        return func.ST_AsBinary(col, type_=self)

    def result_processor(self, dialect, coltype):
        return lambda value: bytes(value) if value is not None else None


# WKB bytes everywhere: a plain BLOB on SQLite, a real geometry (with a GiST index) on PostGIS
Geometry = LargeBinary().with_variant(PostGISGeometry(), "postgresql")


def new_session_key() -> str:
    """A fresh random session key for a user (see User.session_key)."""
    return secrets.token_hex(16)


class Base(DeclarativeBase):
    """Declarative base of every gridmgr table."""


class Area(Base):
    """A managed area: a park, a community, a district."""

    __tablename__ = "areas"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40), default="area")
    code_prefix: Mapped[str | None] = mapped_column(String(40))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    geometry: Mapped[bytes] = mapped_column(Geometry)
    area_m2: Mapped[float] = mapped_column(Float)
    version: Mapped[int] = mapped_column(
        Integer, default=0
    )  # bumped by every re-grid: the conflict check
    next_seq: Mapped[int] = mapped_column(
        Integer, default=1
    )  # cell codes are never reused in an area
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # areas nest (district → street → community → grid); an area holds cells or children, not both.
    # `kind` names the level (district, street, community, park, ...)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    leader: Mapped[str | None] = mapped_column(
        String(120)
    )  # the level's leader (e.g. 网格长, 街道书记)
    leader_phone: Mapped[str | None] = mapped_column(String(40))
    deputy: Mapped[str | None] = mapped_column(String(120))
    deputy_phone: Mapped[str | None] = mapped_column(String(40))
    # rounds must carry the phone's position, inside the cell (gridmgr area set --require-location)
    require_location: Mapped[bool] = mapped_column(Boolean, default=False)
    plans: Mapped[list[GridPlan]] = relationship(back_populates="area", order_by="GridPlan.version")


class GridPlan(Base):
    """One version of an area's split into cells; one per area is active, the rest are history."""

    __tablename__ = "grid_plans"
    __table_args__ = (UniqueConstraint("area_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    mode: Mapped[str] = mapped_column(String(40))
    params: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(80))
    # the land no cell covers and the land two cells share, worked out once when the plan is written
    gaps: Mapped[bytes | None] = mapped_column(Geometry, deferred=True)
    overlaps: Mapped[bytes | None] = mapped_column(Geometry, deferred=True)
    area: Mapped[Area] = relationship(back_populates="plans")


class Cell(Base):
    """A cell of a plan, with its code and area."""

    __tablename__ = "cells"
    __table_args__ = (
        UniqueConstraint("plan_id", "code"),
        Index("ix_cells_geometry_gist", "geometry", postgresql_using="gist").ddl_if(
            dialect="postgresql"
        ),
        # a tile's cells by their bounding boxes, where no spatial index serves (SQLite)
        Index("ix_cells_plan_bbox", "plan_id", "min_lon", "max_lon", "min_lat", "max_lat"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("grid_plans.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(80))
    seq: Mapped[int] = mapped_column(Integer)
    area_m2: Mapped[float] = mapped_column(Float)
    geometry: Mapped[bytes] = mapped_column(Geometry)
    # the workload in the cell (households, visitors a day) when its plan was made with a weight
    weight: Mapped[float | None] = mapped_column(Float, nullable=True)
    # the cell's bounding box in degrees, written with it (NULL in rows older than migration 0013's
    # fill): the vector tiles pick a tile's cells by it on SQLite
    min_lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    min_lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_lat: Mapped[float | None] = mapped_column(Float, nullable=True)


class Warden(Base):
    """A person on duty (网格员), posted to cells by assignments."""

    __tablename__ = "wardens"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(
        String(20), default="member"
    )  # the role auto-assignment gives
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Assignment(Base):
    """A warden's post in a cell, with a role (leader 网格长, member 网格员, volunteer)."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("cell_id", "warden_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("cells.id", ondelete="CASCADE"), index=True)
    warden_id: Mapped[int] = mapped_column(ForeignKey("wardens.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20), default="member")


class Schedule(Base):
    """A cell's "3+N" rhythm: fixed daily round times, extra rounds, and the window of a fixed round."""

    __tablename__ = "schedules"
    id: Mapped[int] = mapped_column(primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("cells.id", ondelete="CASCADE"), unique=True)
    times: Mapped[str] = mapped_column(String(200), default="08:00,12:00,18:00")
    extra: Mapped[int] = mapped_column(Integer, default=0)
    window_before_min: Mapped[int] = mapped_column(Integer, default=30)
    window_after_min: Mapped[int] = mapped_column(Integer, default=90)
    # rounds are expected from this moment (epoch seconds) on: a schedule set at 14:00 makes none of
    # that morning's rounds overdue; NULL = always
    since_s: Mapped[int | None] = mapped_column(BigInteger)


class Round(Base):
    """A logged disinfection round in a cell."""

    __tablename__ = "rounds"
    __table_args__ = (Index("ix_rounds_cell_at", "cell_id", "at_s"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("cells.id", ondelete="CASCADE"))
    warden_id: Mapped[int | None] = mapped_column(ForeignKey("wardens.id", ondelete="SET NULL"))
    at_s: Mapped[int] = mapped_column(
        BigInteger
    )  # when, in epoch seconds (UTC): exact on every database
    note: Mapped[str | None] = mapped_column(Text)
    idempotency_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # evidence: when the server received it (epoch seconds), entered over 15 minutes after `at_s`,
    # backfilled by a manager, who entered it; the phone's position (WGS84) with its accuracy, its
    # distance from the cell and whether that is within max(accuracy, 30 m)
    received_at_s: Mapped[int | None] = mapped_column(BigInteger)
    late_entry: Mapped[bool] = mapped_column(Boolean, default=False)
    backfilled: Mapped[bool] = mapped_column(Boolean, default=False)
    entered_by: Mapped[str | None] = mapped_column(String(120))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    in_cell: Mapped[bool | None] = mapped_column(Boolean)
    distance_m: Mapped[float | None] = mapped_column(Float)


class User(Base):
    """Someone who logs in: a manager, a planner, or a warden (linked to a Warden)."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    warden_id: Mapped[int | None] = mapped_column(ForeignKey("wardens.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # copied into each login's session cookie; a new one (logout, new password) ends those sessions
    session_key: Mapped[str | None] = mapped_column(String(32), default=new_session_key)
    # a manager or planner scoped to an area sees and changes only it and its descendants
    scope_area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"))


class ApiToken(Base):
    """A bearer token for the JSON API; only its SHA-256 is stored, and it can be revoked."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditEvent(Base):
    """Who changed what, when."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(60))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="SET NULL"))
    details: Mapped[str] = mapped_column(Text, default="{}")  # JSON


# --- second wave: the management loop --------------------------------------------------------------


class FindingCategory(Base):
    """A kind of problem found in a cell (masks, gatherings, disinfection, ...); a deployment-wide list."""

    __tablename__ = "finding_categories"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    name_en: Mapped[str] = mapped_column(String(80))
    name_zh: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer, default=0)  # the order lists show them in
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Finding(Base):
    """A problem found in a cell (问题清单): fixed on the spot (立行立改) or given a deadline, a responsible
    unit and person (限期整改); open → fixed → closed, reopened back to open. Never deleted."""

    __tablename__ = "findings"
    __table_args__ = (
        Index("ix_findings_area_status", "area_id", "status"),
        Index("ix_findings_cell", "cell_id"),
        Index("ix_findings_found_at", "area_id", "found_at_s"),
        # the recently rectified ones, which the coverage map counts (migration 0015)
        Index(
            "ix_findings_rectified_at",
            "area_id",
            "closed_at_s",
            sqlite_where=text("closed_as = 'rectified'"),
            postgresql_where=text("closed_as = 'rectified'"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    # the leaf area and the cell of its active plan the finding is in now (moved with its ground by
    # re-grids and by nesting); cell_code is the code as recorded, kept for the ledger
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"))
    cell_id: Mapped[int | None] = mapped_column(ForeignKey("cells.id", ondelete="SET NULL"))
    cell_code: Mapped[str] = mapped_column(String(80))
    category_id: Mapped[int] = mapped_column(ForeignKey("finding_categories.id"))
    text: Mapped[str] = mapped_column(Text)
    found_by: Mapped[str] = mapped_column(String(120))  # the warden's or user's name
    found_by_warden_id: Mapped[int | None] = mapped_column(
        ForeignKey("wardens.id", ondelete="SET NULL")
    )
    found_at_s: Mapped[int] = mapped_column(BigInteger)  # when found (epoch seconds, UTC)
    received_at_s: Mapped[int] = mapped_column(BigInteger)  # when the server stored it
    lon: Mapped[float | None] = mapped_column(Float)  # optional point, WGS84
    lat: Mapped[float | None] = mapped_column(Float)
    mode: Mapped[str] = mapped_column(String(12))  # "on_spot" | "deadline"
    deadline: Mapped[str | None] = mapped_column(String(10))  # YYYY-MM-DD, the area's calendar
    unit: Mapped[str | None] = mapped_column(String(200))  # responsible unit (责任单位)
    person: Mapped[str | None] = mapped_column(String(120))  # responsible person (责任人)
    person_warden_id: Mapped[int | None] = mapped_column(
        ForeignKey("wardens.id", ondelete="SET NULL")
    )  # set when the responsible person is a warden, who may then report the fix
    status: Mapped[str] = mapped_column(String(12), default="open")  # open | fixed | closed
    closed_as: Mapped[str | None] = mapped_column(String(20))  # "rectified" | "error"
    note: Mapped[str | None] = mapped_column(Text)  # what was done on the spot / the latest note
    fixed_at_s: Mapped[int | None] = mapped_column(BigInteger)
    closed_at_s: Mapped[int | None] = mapped_column(BigInteger)
    idempotency_key: Mapped[str | None] = mapped_column(String(80), unique=True)


class FindingEvent(Base):
    """One change of a finding (recorded, fixed, closed, reopened, extended, photo, moved): its history."""

    __tablename__ = "finding_events"
    __table_args__ = (Index("ix_finding_events_finding", "finding_id", "at_s"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id", ondelete="CASCADE"))
    at_s: Mapped[int] = mapped_column(BigInteger)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    details: Mapped[str] = mapped_column(Text, default="{}")  # JSON: old/new deadline, reason, ...


class Photo(Base):
    """A photo of a finding or of its fix: re-encoded, at most 1,600 px, with a thumbnail; the EXIF
    position kept as evidence (never served to the public). Stored in the database so backups carry it."""

    __tablename__ = "photos"
    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(
        ForeignKey("findings.id", ondelete="CASCADE"), index=True
    )
    # the event it was taken at; on PostgreSQL, where finding_events is partitioned by month, a plain
    # column without this foreign key (see gridmgr/db/partitions.py)
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("finding_events.id", ondelete="SET NULL")
    )
    sha256: Mapped[str] = mapped_column(String(64))  # of the stored image
    mime: Mapped[str] = mapped_column(String(20))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    thumb: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    exif_lon: Mapped[float | None] = mapped_column(Float)
    exif_lat: Mapped[float | None] = mapped_column(Float)
    uploaded_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# --- state every server shares (several `gridmgr serve` processes on one database) ----------------


class Setting(Base):
    """A deployment-wide value that every server must read alike (the key that signs sessions)."""

    __tablename__ = "settings"
    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LoginFailure(Base):
    """A failed login, counted against a user name or a client address by every server alike;
    rows older than the throttle's window are pruned."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_key", "kind", "key", "at_s"),
        Index("ix_login_failures_at", "at_s"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # "user" | "addr"
    key: Mapped[str] = mapped_column(String(255))
    at_s: Mapped[float] = mapped_column(Float)  # when, in epoch seconds (the servers' clocks)


class UploadSlot(Base):
    """A large-upload slot taken by one request on SQLite, until the request ends or the lease runs
    out (a process that died holding it); PostgreSQL holds slots as advisory locks instead."""

    __tablename__ = "upload_slots"
    slot: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    holder: Mapped[str] = mapped_column(String(64))
    until_s: Mapped[float] = mapped_column(Float)


# --- checkpoints and visitor caps (卡点 / 限流) -------------------------------------------------------


class Checkpoint(Base):
    """An entry gate of an area (卡点): a named point where wardens count people in and out."""

    __tablename__ = "checkpoints"
    __table_args__ = (UniqueConstraint("area_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    lon: Mapped[float] = mapped_column(Float)  # WGS84
    lat: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CheckpointPost(Base):
    """A warden posted at a checkpoint, with the shift (local HH:MM to HH:MM; none: all day)."""

    __tablename__ = "checkpoint_posts"
    __table_args__ = (UniqueConstraint("checkpoint_id", "warden_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(
        ForeignKey("checkpoints.id", ondelete="CASCADE"), index=True
    )
    warden_id: Mapped[int] = mapped_column(ForeignKey("wardens.id", ondelete="CASCADE"), index=True)
    shift_start: Mapped[str | None] = mapped_column(String(5))
    shift_end: Mapped[str | None] = mapped_column(String(5))


class AreaCap(Base):
    """An area's caps: rated capacity × percent and/or an instant cap (the limit is the smaller)."""

    __tablename__ = "area_caps"
    area_id: Mapped[int] = mapped_column(
        ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True
    )
    max_capacity: Mapped[int | None] = mapped_column(Integer)
    percent: Mapped[str | None] = mapped_column(String(20))  # decimal text: exact on both databases
    instant: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CapacitySlot(Base):
    """A daily entry slot of an area: local times [start, end) and the entries it takes."""

    __tablename__ = "capacity_slots"
    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    slot_start: Mapped[str] = mapped_column(String(5))
    slot_end: Mapped[str] = mapped_column(String(5))
    quota: Mapped[int] = mapped_column(Integer)


class AreaDay(Base):
    """An area's counts on one local day: the row every count locks and updates with its event."""

    __tablename__ = "area_days"
    __table_args__ = (UniqueConstraint("area_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"))
    day: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD on the area's clock
    occupancy: Mapped[int] = mapped_column(Integer, default=0)
    entries: Mapped[int] = mapped_column(Integer, default=0)
    exits: Mapped[int] = mapped_column(Integer, default=0)
    slot_entries: Mapped[str] = mapped_column(Text, default="{}")  # JSON {"08:00-12:00": n}


class CheckpointDay(Base):
    """A checkpoint's entries and exits on one local day (updated under its area's day lock)."""

    __tablename__ = "checkpoint_days"
    __table_args__ = (UniqueConstraint("checkpoint_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("checkpoints.id", ondelete="CASCADE"))
    day: Mapped[str] = mapped_column(String(10))
    entries: Mapped[int] = mapped_column(Integer, default=0)
    exits: Mapped[int] = mapped_column(Integer, default=0)
    last_at_s: Mapped[int | None] = mapped_column(BigInteger)  # the latest count's time


class GateEvent(Base):
    """One accepted count at a checkpoint: people in and out, when, who, an override's reason, and the
    area's day after it (what a replay of its Idempotency-Key answers)."""

    __tablename__ = "gate_events"
    __table_args__ = (Index("ix_gate_events_area_day", "area_id", "day", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"))
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("checkpoints.id", ondelete="CASCADE"))
    day: Mapped[str] = mapped_column(String(10))
    at_s: Mapped[int] = mapped_column(BigInteger)  # when the people passed (epoch seconds)
    received_at_s: Mapped[int] = mapped_column(BigInteger)  # when the server stored it
    n_in: Mapped[int] = mapped_column(Integer, default=0)
    n_out: Mapped[int] = mapped_column(Integer, default=0)
    entered_by: Mapped[str] = mapped_column(String(120))
    override: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(Text)
    idempotency_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    occupancy_after: Mapped[int] = mapped_column(Integer)
    limit_after: Mapped[int | None] = mapped_column(Integer)
    slot: Mapped[str | None] = mapped_column(String(11))  # the slot the entries fell in
