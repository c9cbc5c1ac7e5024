"""The single migration creates everything (extensions included) and undoes it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from geoalchemy2 import alembic_helpers
from sqlalchemy import create_engine, inspect, text

from models import Base
from tracing.cli import alembic_config

from ..conftest import RUN_ID, create_database, drop_database


@pytest.fixture
def empty_database_url() -> Iterator[str]:
    name = f"ftr_test_{RUN_ID}_empty"
    yield create_database(name)
    drop_database(name)


def tables_and_extensions(url: str) -> tuple[set[str], set[str]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            extensions = set(connection.scalars(text("SELECT extname FROM pg_extension")))
        return tables, extensions
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(empty_database_url: str) -> None:
    config = alembic_config(empty_database_url)
    command.upgrade(config, "head")
    tables, extensions = tables_and_extensions(empty_database_url)
    assert set(Base.metadata.tables) <= tables
    assert {"postgis", "pg_trgm", "fuzzystrmatch"} <= extensions

    command.downgrade(config, "base")
    tables, extensions = tables_and_extensions(empty_database_url)
    assert tables <= {"alembic_version"}
    assert extensions == {"plpgsql"}

    command.upgrade(config, "head")
    assert set(Base.metadata.tables) <= tables_and_extensions(empty_database_url)[0]


def test_models_and_migrations_agree(fresh_database_url: str) -> None:
    engine = create_engine(fresh_database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={
                    "include_object": alembic_helpers.include_object,
                    "compare_type": True,
                },
            )
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_covering_indexes_hold_their_included_columns(fresh_database_url: str) -> None:
    """alembic's comparison leaves INCLUDE columns out: an index the models declare
    covering must be covering in the migrated store (real-time matching reads the block
    keys from the index alone)."""
    declared = {
        index.name: list(index.dialect_options["postgresql"]["include"])
        for table in Base.metadata.tables.values()
        for index in table.indexes
        if index.dialect_options["postgresql"]["include"]
    }
    assert declared  # the block keys' indexes, at least
    engine = create_engine(fresh_database_url)
    try:
        with engine.connect() as connection:
            definitions = dict(
                connection.execute(
                    text("SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(:n)"),
                    {"n": list(declared)},
                ).all()
            )
    finally:
        engine.dispose()
    for name, columns in declared.items():
        assert definitions.get(name, "").endswith(f"INCLUDE ({', '.join(columns)})"), name
