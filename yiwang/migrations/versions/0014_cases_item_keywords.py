"""Cases: search words (检索词) of service item versions

Revision ID: 0014_cases_item_keywords
Revises: 0013_packs
Create Date: 2026-12-08 00:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy import Text  # autogenerate writes JSONB(astext_type=Text())
from alembic import op

from sqlalchemy.dialects import postgresql

revision: str = "0014_cases_item_keywords"
down_revision: str | None = "0013_packs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def upgrade() -> None:
    # Versions registered before this revision are found by their name, description and code.
    with op.batch_alter_table("cases_item_versions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "keywords",
                _json(),
                server_default=sa.text("'[]'"),
                nullable=False,
                comment="检索词: the names people search by (营业执照 for 企业设立登记)",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("cases_item_versions", schema=None) as batch_op:
        batch_op.drop_column("keywords")
