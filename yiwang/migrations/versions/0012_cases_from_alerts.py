"""Cases other engines ask for: task items and cases, their source; documents offered in place
of uploads; alert rules' actions and the case opened for an alert

Revision ID: 0012_cases_from_alerts
Revises: 0011_second_factor
Create Date: 2026-12-09 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy import Text  # autogenerate writes JSONB(astext_type=Text())
from alembic import op

from sqlalchemy.dialects import postgresql

from yiwang.core.db import UTCDateTime

revision: str = "0012_cases_from_alerts"
down_revision: str | None = "0011_second_factor"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("cases_items", schema=None) as batch_op:
        batch_op.alter_column(
            "kind",
            existing_type=sa.String(length=24),
            comment="service, complaint_category or task",
            existing_comment="service or complaint_category",
            existing_nullable=False,
        )
    with op.batch_alter_table("cases_cases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "source_ref",
                sa.String(length=100),
                nullable=True,
                comment="what another engine opened it for, e.g. sensing.alert:123",
            )
        )
        batch_op.create_index(batch_op.f("ix_cases_cases_source_ref"), ["source_ref"], unique=False)
        batch_op.alter_column(
            "kind",
            existing_type=sa.String(length=16),
            comment="application, complaint or task",
            existing_comment="application or complaint",
            existing_nullable=False,
        )
        batch_op.alter_column(
            "source",
            existing_type=sa.String(length=16),
            comment="web, api, open311, demo, or the engine that asked for it",
            existing_comment="web, api, open311, demo",
            existing_nullable=False,
        )
    with op.batch_alter_table("cases_materials", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "provided_by",
                sa.String(length=200),
                nullable=True,
                comment="<provider>:<reference> when a provider offered it in place of an upload",
            )
        )
    # Rules made before this revision do nothing but alert.
    with op.batch_alter_table("sensing_alert_rules", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "actions",
                _json(),
                server_default=sa.text("'[]'"),
                nullable=False,
                comment="[{type: open_case, level, item, department}]: what reaching a level does",
            )
        )
    with op.batch_alter_table("sensing_alerts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "case_requested_at",
                UTCDateTime(),
                nullable=True,
                comment="when the rule's action asked for a case (once per alert)",
            )
        )
        batch_op.add_column(
            sa.Column(
                "case_number",
                sa.String(length=32),
                nullable=True,
                comment="the case opened for it (办件编号)",
            )
        )
        batch_op.create_index(
            batch_op.f("ix_sensing_alerts_case_number"), ["case_number"], unique=False
        )
    with op.batch_alter_table("sensing_alert_changes", schema=None) as batch_op:
        batch_op.alter_column(
            "action",
            existing_type=sa.String(length=16),
            comment="raised, escalated, deescalated, cleared, recurred, acknowledged, resolved, "
            "case_opened or case_failed",
            existing_comment="raised, escalated, deescalated, cleared, recurred, acknowledged or "
            "resolved",
            existing_nullable=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("sensing_alert_changes", schema=None) as batch_op:
        batch_op.alter_column(
            "action",
            existing_type=sa.String(length=16),
            comment="raised, escalated, deescalated, cleared, recurred, acknowledged or resolved",
            existing_comment="raised, escalated, deescalated, cleared, recurred, acknowledged, "
            "resolved, case_opened or case_failed",
            existing_nullable=False,
        )
    with op.batch_alter_table("sensing_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sensing_alerts_case_number"))
        batch_op.drop_column("case_number")
        batch_op.drop_column("case_requested_at")
    with op.batch_alter_table("sensing_alert_rules", schema=None) as batch_op:
        batch_op.drop_column("actions")
    with op.batch_alter_table("cases_materials", schema=None) as batch_op:
        batch_op.drop_column("provided_by")
    with op.batch_alter_table("cases_cases", schema=None) as batch_op:
        batch_op.alter_column(
            "source",
            existing_type=sa.String(length=16),
            comment="web, api, open311, demo",
            existing_comment="web, api, open311, demo, or the engine that asked for it",
            existing_nullable=False,
        )
        batch_op.alter_column(
            "kind",
            existing_type=sa.String(length=16),
            comment="application or complaint",
            existing_comment="application, complaint or task",
            existing_nullable=False,
        )
        batch_op.drop_index(batch_op.f("ix_cases_cases_source_ref"))
        batch_op.drop_column("source_ref")
    with op.batch_alter_table("cases_items", schema=None) as batch_op:
        batch_op.alter_column(
            "kind",
            existing_type=sa.String(length=24),
            comment="service or complaint_category",
            existing_comment="service, complaint_category or task",
            existing_nullable=False,
        )
