"""Cases: the recipient and address of delivery by courier

Revision ID: 0015_cases_delivery_address
Revises: 0014_cases_item_keywords
Create Date: 2026-12-08 00:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_cases_delivery_address"
down_revision: str | None = "0014_cases_item_keywords"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Cases filed before this revision have no address: the console shows none.
    with op.batch_alter_table("cases_cases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "delivery_recipient",
                sa.String(length=100),
                nullable=True,
                comment="courier delivery: the recipient (personal data, masked)",
            )
        )
        batch_op.add_column(
            sa.Column(
                "delivery_phone",
                sa.String(length=32),
                nullable=True,
                comment="courier delivery: the recipient's phone (personal data, masked)",
            )
        )
        batch_op.add_column(
            sa.Column(
                "delivery_division_code",
                sa.String(length=6),
                nullable=True,
                comment="courier delivery: GB/T 2260 district (or city without districts)",
            )
        )
        batch_op.add_column(
            sa.Column(
                "delivery_address",
                sa.String(length=200),
                nullable=True,
                comment="courier delivery: street and house (personal data, masked)",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("cases_cases", schema=None) as batch_op:
        batch_op.drop_column("delivery_address")
        batch_op.drop_column("delivery_division_code")
        batch_op.drop_column("delivery_phone")
        batch_op.drop_column("delivery_recipient")
