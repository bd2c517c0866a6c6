"""Cases: themes (办事主题) and life events (人生事件) of service item versions

Revision ID: 0007_cases_item_themes
Revises: 0006_cases
Create Date: 2026-11-30 09:12:05.118402
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy import Text  # autogenerate writes JSONB(astext_type=Text())
from alembic import op

from sqlalchemy.dialects import postgresql

revision: str = "0007_cases_item_themes"
down_revision: str | None = "0006_cases"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def upgrade() -> None:
    # Versions registered before this revision belong to no theme and no life event yet.
    with op.batch_alter_table("cases_item_versions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "themes",
                _json(),
                server_default=sa.text("'[]'"),
                nullable=False,
                comment="办事主题 (vocab.Theme)",
            )
        )
        batch_op.add_column(
            sa.Column(
                "life_events",
                _json(),
                server_default=sa.text("'[]'"),
                nullable=False,
                comment="人生事件 (vocab.LifeEvent)",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("cases_item_versions", schema=None) as batch_op:
        batch_op.drop_column("life_events")
        batch_op.drop_column("themes")
