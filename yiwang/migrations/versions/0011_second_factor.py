"""Two-factor sign-in (TOTP and recovery codes), logins awaiting their second step, notices of
throttled sign-ins to the account's owner

Revision ID: 0011_second_factor
Revises: 0010_auth_throttles
Create Date: 2026-12-08 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from yiwang.core.db import UTCDateTime

revision: str = "0011_second_factor"
down_revision: str | None = "0010_auth_throttles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Every web login ends once: the administrators' logins begun with a password alone would
    # otherwise last out their hours without the second factor their role now requires.
    op.execute("DELETE FROM web_sessions")
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "second_factor_pending",
                sa.Boolean(),
                server_default=sa.false(),
                nullable=False,
                comment="the password was right, the one-time code (or the enrolment) is still "
                "to come: such a login grants nothing but the second step",
            )
        )
    with op.batch_alter_table("auth_throttles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "addresses",
                sa.String(length=700),
                nullable=True,
                comment="the distinct addresses of this window's failures, comma-separated, "
                "the first ten",
            )
        )
    op.create_table(
        "second_factors",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "secret_sealed",
            sa.String(length=200),
            nullable=True,
            comment="the secret in use, SM4-GCM under a key derived from the secret key; NULL "
            "until a first code is confirmed",
        ),
        sa.Column(
            "new_secret_sealed",
            sa.String(length=200),
            nullable=True,
            comment="a secret being enrolled; it replaces secret_sealed once a code from it is "
            "confirmed",
        ),
        sa.Column("enabled_at", UTCDateTime(), nullable=True),
        sa.Column(
            "last_step",
            sa.Integer(),
            nullable=True,
            comment="the 30-second time step of the last code accepted; no code of it or of an "
            "earlier step is taken again",
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_second_factors_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_second_factors")),
    )
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "code_hash",
            sa.String(length=200),
            nullable=False,
            comment="argon2id; the code is shown once and never stored",
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_recovery_codes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
    )
    with op.batch_alter_table("recovery_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recovery_codes_user_id"), ["user_id"], unique=False)
    op.create_table(
        "sign_in_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "episode_started_at",
            UTCDateTime(),
            nullable=False,
            comment="the episode's first failure (auth_throttles.first_failure_at)",
        ),
        sa.Column("last_failure_at", UTCDateTime(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column(
            "addresses",
            sa.String(length=700),
            nullable=False,
            comment="the distinct addresses the failures came from, comma-separated",
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column(
            "seen_at",
            UTCDateTime(),
            nullable=True,
            comment="when the owner dismissed it; shown at each sign-in until then",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_sign_in_notices_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_notices")),
        sa.UniqueConstraint(
            "user_id",
            "episode_started_at",
            name=op.f("uq_sign_in_notices_user_id_episode_started_at"),
        ),
    )
    with op.batch_alter_table("sign_in_notices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sign_in_notices_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sign_in_notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_notices_user_id"))
    op.drop_table("sign_in_notices")
    with op.batch_alter_table("recovery_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recovery_codes_user_id"))
    op.drop_table("recovery_codes")
    op.drop_table("second_factors")
    with op.batch_alter_table("auth_throttles", schema=None) as batch_op:
        batch_op.drop_column("addresses")
    # Logins awaiting their second step would become full logins: end every login instead.
    op.execute("DELETE FROM web_sessions")
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_column("second_factor_pending")
