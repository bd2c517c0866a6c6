"""Alembic environment: one migration history for the core and every engine."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

import yiwang.core.models  # noqa: F401  (registers the core tables)
from yiwang import engines
from yiwang.core.db import Base, make_engine
from yiwang.migrate import include_name

engines.load()
target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        compare_server_default=False,
        include_name=include_name,
    )


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(context.config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run yiwang db upgrade")
run()
