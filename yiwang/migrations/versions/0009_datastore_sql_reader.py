"""Datastore SQL: the PostgreSQL role datastore_search_sql statements run as

Revision ID: 0009_datastore_sql_reader
Revises: 0008_provisional_calendar
Create Date: 2026-12-10 10:00:00.000000

``yiwang_datastore_reader`` logs in nowhere and holds no privilege of its own; for each
statement the application grants it SELECT on that statement's temporary views, switches to it
with SET LOCAL ROLE and rolls all of it back afterwards (yiwang.catalog.sql). The application's
database user must be able to switch to it, so it is made a member.

Roles belong to the whole server, not to one database: another database of the same server may
have made it already, or be making it at this moment. A user without CREATEROLE cannot make it;
the upgrade then goes on with a warning, and datastore_search_sql answers 503 until an
administrator runs the two statements in docs/catalog.md. SQLite needs nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009_datastore_sql_reader"
down_revision: str | None = "0008_provisional_calendar"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "yiwang_datastore_reader"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"""
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = '{ROLE}') THEN
        BEGIN
            CREATE ROLE {ROLE} NOLOGIN NOINHERIT;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;  -- another database of this server made it meanwhile
        END;
    END IF;
    IF NOT pg_catalog.pg_has_role(current_user, '{ROLE}', 'MEMBER') THEN
        GRANT {ROLE} TO CURRENT_USER;
    END IF;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE WARNING 'yiwang: cannot create or join the role {ROLE}; datastore_search_sql '
        'stays unavailable until an administrator does (docs/catalog.md)';
END
$$
"""
    )


def downgrade() -> None:
    # The role is shared by every database of the server and holds nothing: it stays.
    pass
