"""Findings and the rectification ledger: categories (with the default list), findings, their events and
photos.

Revision ID: 0006
Revises: 0005
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# the default categories (key, English, Chinese); managers add more with `gridmgr category add`
DEFAULT_CATEGORIES = [
    ("masks", "Masks", "口罩佩戴"),
    ("gatherings", "Gatherings", "人员聚集"),
    ("disinfection", "Disinfection", "消毒消杀"),
    ("temperature", "Temperature checks", "体温检测"),
    ("code_scan", "Code scanning", "扫码登记"),
    ("checkpoint", "Checkpoint", "卡点值守"),
    ("signage", "Signage", "标识标牌"),
    ("waste", "Waste", "垃圾清运"),
    ("duty", "Duty", "人员在岗"),
    ("other", "Other", "其他"),
]


def upgrade() -> None:
    categories = op.create_table(
        "finding_categories",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(40), nullable=False, unique=True),
        sa.Column("name_en", sa.String(80), nullable=False),
        sa.Column("name_zh", sa.String(80), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "area_id", sa.Integer(), sa.ForeignKey("areas.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("cell_id", sa.Integer(), sa.ForeignKey("cells.id", ondelete="SET NULL")),
        sa.Column("cell_code", sa.String(80), nullable=False),
        sa.Column(
            "category_id", sa.Integer(), sa.ForeignKey("finding_categories.id"), nullable=False
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("found_by", sa.String(120), nullable=False),
        sa.Column(
            "found_by_warden_id", sa.Integer(), sa.ForeignKey("wardens.id", ondelete="SET NULL")
        ),
        sa.Column("found_at_s", sa.BigInteger(), nullable=False),
        sa.Column("received_at_s", sa.BigInteger(), nullable=False),
        sa.Column("lon", sa.Float()),
        sa.Column("lat", sa.Float()),
        sa.Column("mode", sa.String(12), nullable=False),
        sa.Column("deadline", sa.String(10)),
        sa.Column("unit", sa.String(200)),
        sa.Column("person", sa.String(120)),
        sa.Column(
            "person_warden_id", sa.Integer(), sa.ForeignKey("wardens.id", ondelete="SET NULL")
        ),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("closed_as", sa.String(20)),
        sa.Column("note", sa.Text()),
        sa.Column("fixed_at_s", sa.BigInteger()),
        sa.Column("closed_at_s", sa.BigInteger()),
        sa.Column("idempotency_key", sa.String(80), unique=True),
    )
    op.create_index("ix_findings_area_status", "findings", ["area_id", "status"])
    op.create_index("ix_findings_cell", "findings", ["cell_id"])
    op.create_index("ix_findings_found_at", "findings", ["area_id", "found_at_s"])
    op.create_table(
        "finding_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "finding_id",
            sa.Integer(),
            sa.ForeignKey("findings.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("at_s", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("details", sa.Text(), nullable=False),
    )
    op.create_index("ix_finding_events_finding", "finding_events", ["finding_id", "at_s"])
    op.create_table(
        "photos",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "finding_id",
            sa.Integer(),
            sa.ForeignKey("findings.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "event_id", sa.Integer(), sa.ForeignKey("finding_events.id", ondelete="SET NULL")
        ),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("mime", sa.String(20), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("thumb", sa.LargeBinary(), nullable=False),
        sa.Column("exif_lon", sa.Float()),
        sa.Column("exif_lat", sa.Float()),
        sa.Column("uploaded_by", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_photos_finding_id", "photos", ["finding_id"])
    now = datetime.now(UTC)
    op.bulk_insert(
        categories,
        [
            {"key": k, "name_en": en, "name_zh": zh, "position": n, "created_at": now}
            for n, (k, en, zh) in enumerate(DEFAULT_CATEGORIES)
        ],
    )


def downgrade() -> None:
    op.drop_table("photos")
    op.drop_table("finding_events")
    op.drop_table("findings")
    op.drop_table("finding_categories")
