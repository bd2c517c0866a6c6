"""Throttling of guesses (failed tries per account and per address); web logins end when idle

Revision ID: 0010_auth_throttles
Revises: 0009_datastore_sql_reader
Create Date: 2026-12-07 16:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from yiwang.core.db import UTCDateTime

revision: str = "0010_auth_throttles"
down_revision: str | None = "0009_datastore_sql_reader"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "idle_expires_at",
                UTCDateTime(),
                nullable=True,
                comment="ends here unless used before; moved on as it is used",
            )
        )
        batch_op.alter_column(
            "expires_at",
            existing_type=UTCDateTime(),
            comment="the absolute end of the login, however active",
            existing_nullable=False,
        )
    op.create_table(
        "auth_throttles",
        sa.Column(
            "key",
            sa.String(length=200),
            nullable=False,
            comment="account:<username>, address:<ip>, code:<ip>",
        ),
        sa.Column(
            "failures", sa.Integer(), nullable=False, comment="failed tries in the current window"
        ),
        sa.Column("first_failure_at", UTCDateTime(), nullable=False),
        sa.Column("last_failure_at", UTCDateTime(), nullable=False),
        sa.Column("blocked_until", UTCDateTime(), nullable=True),
        sa.Column("last_address", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_auth_throttles")),
    )
    with op.batch_alter_table("auth_throttles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_auth_throttles_blocked_until"), ["blocked_until"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_column("idle_expires_at")
    with op.batch_alter_table("auth_throttles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_throttles_blocked_until"))
    op.drop_table("auth_throttles")
