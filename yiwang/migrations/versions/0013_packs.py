"""The packs installed, with their version and content digest

Revision ID: 0013_packs
Revises: 0012_cases_from_alerts
Create Date: 2026-12-10 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

from yiwang.core.db import UTCDateTime

revision: str = "0013_packs"
down_revision: str | None = "0012_cases_from_alerts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "core_packs",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column(
            "version", sa.String(length=40), nullable=False, comment="the [pack] version installed"
        ),
        sa.Column(
            "digest",
            sa.String(length=64),
            nullable=False,
            comment="SHA-256 of its declarative files",
        ),
        sa.Column(
            "origin", sa.String(length=20), nullable=False, comment="builtin, path or entry point"
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column(
            "sections",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
            comment="what each engine holds of it: counts by kind",
        ),
        sa.Column("installed_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_core_packs")),
    )


def downgrade() -> None:
    op.drop_table("core_packs")
