"""The models and the migrations agree: a database upgraded to the head has exactly the models'
tables (on PostgreSQL, history partitioned by month beside them), each with the models' columns, their
nullability and primary key, on SQLite and PostGIS."""

from __future__ import annotations

import warnings

from sqlalchemy import inspect
from sqlalchemy.exc import SAWarning

from gridmgr.db.models import Base
from gridmgr.db.partitions import HISTORY, default_name, is_partitioned, partitions

# tables the database keeps for itself or its extensions, not the application's
NOT_OURS = {"alembic_version", "spatial_ref_sys"}


def test_the_migrated_schema_is_the_models_schema(engine):
    found = inspect(engine)
    schema = engine.dialect.default_schema_name if engine.dialect.name == "postgresql" else None
    tables = set(found.get_table_names(schema=schema)) - NOT_OURS
    by_month = {}  # on PostgreSQL, history by month: its partitions and keys table beside it
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            for h in HISTORY:
                if is_partitioned(conn, h.table):
                    by_month[h.table] = h.at  # a partition key is part of the primary key
                    tables -= {*partitions(conn, h).values(), default_name(h), h.keys_table}
    assert tables == set(Base.metadata.tables)
    for name, table in Base.metadata.tables.items():
        with warnings.catch_warnings():  # PostGIS's geometry type is unknown to SQLAlchemy
            warnings.filterwarnings("ignore", "Did not recognize type 'geometry'", SAWarning)
            columns = {c["name"]: c for c in found.get_columns(name, schema=schema)}
        assert set(columns) == {c.name for c in table.columns}, name
        for column in table.columns:
            assert columns[column.name]["nullable"] == column.nullable, f"{name}.{column.name}"
        primary = found.get_pk_constraint(name, schema=schema)["constrained_columns"]
        want = {c.name for c in table.primary_key.columns} | (
            {by_month[name]} if name in by_month else set()
        )
        assert sorted(primary) == sorted(want), name
