"""Provisional calendar: deadlines and cards marked provisional; weekend-only counting retired

Revision ID: 0008_provisional_calendar
Revises: 0007_cases_item_themes
Create Date: 2026-12-07 15:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_provisional_calendar"
down_revision: str | None = "0007_cases_item_themes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Cases filed before this revision were counted on official schedules or refused.
    with op.batch_alter_table("cases_cases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "deadline_provisional",
                sa.Boolean(),
                server_default=sa.false(),
                nullable=False,
                comment="the deadlines and next card date were counted over a year with no "
                "official holiday schedule (预计); recounted when it is imported",
            )
        )
    with op.batch_alter_table("cases_cards", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "provisional",
                sa.Boolean(),
                server_default=sa.false(),
                nullable=False,
                comment="issued on a deadline counted over a provisional holiday calendar",
            )
        )
        batch_op.add_column(
            sa.Column(
                "note",
                sa.Text(),
                nullable=True,
                comment="why the card would not have been issued on the official calendar",
            )
        )
    # The provisional calendar from the law replaces counting by weekends alone.
    op.execute("DELETE FROM calendar_years WHERE NOT has_schedule")
    with op.batch_alter_table("calendar_years", schema=None) as batch_op:
        batch_op.drop_column("weekend_only_allowed")


def downgrade() -> None:
    with op.batch_alter_table("calendar_years", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "weekend_only_allowed",
                sa.Boolean(),
                server_default=sa.false(),
                nullable=False,
                comment="an operator allowed counting this year by weekends alone, with no schedule",
            )
        )
    with op.batch_alter_table("cases_cards", schema=None) as batch_op:
        batch_op.drop_column("note")
        batch_op.drop_column("provisional")
    with op.batch_alter_table("cases_cases", schema=None) as batch_op:
        batch_op.drop_column("deadline_provisional")
