"""Vector tiles (issue 19): each cell's bounding box in degrees, so a tile's cells are found by an
index on SQLite (PostGIS has its GiST index); filled in for the cells already stored.

Revision ID: 0013
Revises: 0012
"""

import shapely
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

BOX = ("min_lon", "min_lat", "max_lon", "max_lat")
CHUNK = 5000


def upgrade() -> None:
    with op.batch_alter_table("cells") as batch_op:
        for name in BOX:
            batch_op.add_column(sa.Column(name, sa.Float(), nullable=True))
    op.create_index(
        "ix_cells_plan_bbox", "cells", ["plan_id", "min_lon", "max_lon", "min_lat", "max_lat"]
    )
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        conn.execute(
            sa.text(
                "UPDATE cells SET min_lon = ST_XMin(geometry), min_lat = ST_YMin(geometry), "
                "max_lon = ST_XMax(geometry), max_lat = ST_YMax(geometry)"
            )
        )
        return
    last = 0
    while True:  # SQLite: the boxes worked out from the stored WKB, a chunk at a time
        rows = conn.execute(
            sa.text("SELECT id, geometry FROM cells WHERE id > :last ORDER BY id LIMIT :n"),
            {"last": last, "n": CHUNK},
        ).all()
        if not rows:
            return
        boxes = shapely.bounds(shapely.from_wkb([bytes(r[1]) for r in rows])).tolist()
        conn.execute(
            sa.text(
                "UPDATE cells SET min_lon = :a, min_lat = :b, max_lon = :c, max_lat = :d "
                "WHERE id = :id"
            ),
            [
                {"id": r[0], "a": b[0], "b": b[1], "c": b[2], "d": b[3]}
                for r, b in zip(rows, boxes, strict=True)
            ],
        )
        last = rows[-1][0]


def downgrade() -> None:
    op.drop_index("ix_cells_plan_bbox", table_name="cells")
    with op.batch_alter_table("cells") as batch_op:
        for name in BOX:
            batch_op.drop_column(name)
