"""Models and migrations agree; the history goes down and up again cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect

from tests.support.databases import new_database
from yiwang import migrate
from yiwang.core.db import Database


def test_models_and_migrations_do_not_drift(database: Database) -> None:
    assert migrate.drift(database.engine) == []


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_downgrade_to_nothing_and_back(kind: str, tmp_path: Path) -> None:
    with new_database(kind, tmp_path) as url:
        db = Database(url)
        try:
            migrate.upgrade(db.engine)
            assert "audit_entries" in inspect(db.engine).get_table_names()
            migrate.downgrade(db.engine, "base")
            # PostGIS, once enabled, stays (other schemas may use it), and with it its table.
            left = set(inspect(db.engine).get_table_names())
            assert left <= {"alembic_version", "spatial_ref_sys"}
            migrate.upgrade_and_seed(db)
            assert migrate.current_revision(db.engine) is not None
            assert migrate.drift(db.engine) == []
        finally:
            db.dispose()
