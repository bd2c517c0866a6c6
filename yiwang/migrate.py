"""Schema migrations (Alembic) driven from Python, for the CLI and the tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, text

from yiwang.core import calendar
from yiwang.core.db import Database

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_LOCK_KEY = 0x7969_7761_6E67  # "yiwang"


def include_name(name: str | None, type_: str, _parent_names: object) -> bool:
    """Tables made at run time are not the schema's: datastore tables (one per loaded version)
    and the monthly partitions of the observations table; nor is PostGIS's own table."""
    return not (
        type_ == "table"
        and name is not None
        and (name.startswith(("datastore_", "sensing_observations_")) or name == "spatial_ref_sys")
    )


def alembic_config(engine: Engine | None = None, url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if url:
        config.set_main_option("sqlalchemy.url", url)
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema of ``engine``'s database to ``revision``. On PostgreSQL an advisory
    lock keeps several nodes starting at once from migrating together."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def upgrade_and_seed(db: Database) -> list[int]:
    """Upgrade the schema and load any holiday-schedule years not yet in the database; return
    the years loaded."""
    upgrade(db.engine)
    with db.session() as session:
        return calendar.seed_from_package(session)


def downgrade(engine: Engine, revision: str) -> None:
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def drift(engine: Engine) -> list[Any]:
    """Return the differences between the models and the migrated schema (empty when none)."""
    import yiwang.core.models  # noqa: F401, PLC0415  (registers every core table)
    from yiwang import engines  # noqa: PLC0415
    from yiwang.core.db import Base  # noqa: PLC0415

    engines.load()
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "compare_server_default": False,
                "include_name": include_name,
            },
        )
        return list(compare_metadata(context, Base.metadata))


def revision(url: str, message: str) -> None:
    """Autogenerate a new migration from the models (for developers)."""
    command.revision(alembic_config(url=url), message=message, autogenerate=True)
