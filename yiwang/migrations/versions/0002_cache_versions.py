"""Versions of cached namespaces, so every node's cache stays coherent.

Revision ID: 0002_cache_versions
Revises: 0001_core
Create Date: 2026-11-29 07:54:54.291201
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import yiwang.core.db


revision: str = '0002_cache_versions'
down_revision: str | None = '0001_core'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('cache_versions',
    sa.Column('namespace', sa.String(length=64), nullable=False),
    sa.Column('version', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.PrimaryKeyConstraint('namespace', name=op.f('pk_cache_versions'))
    )


def downgrade() -> None:
    op.drop_table('cache_versions')
