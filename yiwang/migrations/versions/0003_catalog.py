"""The catalog engine: resources, tags, revisions, search terms, distributions, table versions, share requests.

Revision ID: 0003_catalog
Revises: 0002_cache_versions
Create Date: 2026-11-29 08:17:44.471864
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import yiwang.core.db
from sqlalchemy.dialects import postgresql

revision: str = '0003_catalog'
down_revision: str | None = '0002_cache_versions'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('catalog_resources',
    sa.Column('id', sa.String(length=36), nullable=False, comment='UUID'),
    sa.Column('name', sa.String(length=100), nullable=False, comment='URL name (CKAN name)'),
    sa.Column('code', sa.String(length=64), nullable=False, comment='资源代码'),
    sa.Column('title', sa.String(length=300), nullable=False, comment='资源名称 (Chinese)'),
    sa.Column('title_en', sa.String(length=300), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=False, comment='资源提供方'),
    sa.Column('summary', sa.Text(), nullable=False, comment='资源摘要'),
    sa.Column('catalog_type', sa.String(length=16), nullable=False, comment='basic, thematic, departmental'),
    sa.Column('category', sa.String(length=32), nullable=True, comment='资源分类'),
    sa.Column('format', sa.String(length=32), nullable=True, comment='资源格式, e.g. CSV'),
    sa.Column('fields', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False, comment='信息项'),
    sa.Column('share_class', sa.String(length=16), nullable=False),
    sa.Column('share_conditions', sa.Text(), nullable=True, comment='共享条件'),
    sa.Column('open_class', sa.String(length=16), nullable=False),
    sa.Column('open_conditions', sa.Text(), nullable=True, comment='开放条件'),
    sa.Column('update_frequency', sa.String(length=16), nullable=False),
    sa.Column('publish_date', sa.Date(), nullable=True),
    sa.Column('related', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False, comment='codes of related resources'),
    sa.Column('license_id', sa.String(length=32), nullable=False),
    sa.Column('spatial_division', sa.String(length=6), nullable=True, comment='GB/T 2260 code of the area covered'),
    sa.Column('temporal_start', sa.Date(), nullable=True),
    sa.Column('temporal_end', sa.Date(), nullable=True),
    sa.Column('contact_email', sa.String(length=200), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False, comment='draft, active or deleted'),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('created_at', yiwang.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('modified_at', yiwang.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('deleted_at', yiwang.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_catalog_resources_department_id_departments'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_resources')),
    sa.UniqueConstraint('code', name=op.f('uq_catalog_resources_code')),
    sa.UniqueConstraint('name', name=op.f('uq_catalog_resources_name'))
    )
    with op.batch_alter_table('catalog_resources', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalog_resources_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_catalog_resources_department_id'), ['department_id'], unique=False)
        batch_op.create_index('ix_catalog_resources_listing', ['state', 'open_class', 'modified_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_catalog_resources_spatial_division'), ['spatial_division'], unique=False)

    op.create_table('catalog_distributions',
    sa.Column('id', sa.String(length=36), nullable=False, comment='UUID'),
    sa.Column('resource_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('format', sa.String(length=32), nullable=True),
    sa.Column('url', sa.String(length=1000), nullable=True, comment='an outside link, if not uploaded'),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('current_version_id', sa.Integer(), nullable=True, comment='the table version readers see'),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_at', yiwang.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('modified_at', yiwang.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['resource_id'], ['catalog_resources.id'], name=op.f('fk_catalog_distributions_resource_id_catalog_resources'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_distributions'))
    )
    with op.batch_alter_table('catalog_distributions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalog_distributions_resource_id'), ['resource_id'], unique=False)

    op.create_table('catalog_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.String(length=36), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False, comment='create, update, publish, delete, ...'),
    sa.Column('snapshot', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', yiwang.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['resource_id'], ['catalog_resources.id'], name=op.f('fk_catalog_revisions_resource_id_catalog_resources'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_revisions')),
    sa.UniqueConstraint('resource_id', 'revision', name=op.f('uq_catalog_revisions_resource_id_revision'))
    )
    with op.batch_alter_table('catalog_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalog_revisions_resource_id'), ['resource_id'], unique=False)

    op.create_table('catalog_search_terms',
    sa.Column('term', sa.String(length=64), nullable=False),
    sa.Column('resource_id', sa.String(length=36), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False, comment='3 in the title, 2 in tags, 1 elsewhere'),
    sa.ForeignKeyConstraint(['resource_id'], ['catalog_resources.id'], name=op.f('fk_catalog_search_terms_resource_id_catalog_resources'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('term', 'resource_id', name=op.f('pk_catalog_search_terms'))
    )
    with op.batch_alter_table('catalog_search_terms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalog_search_terms_resource_id'), ['resource_id'], unique=False)

    op.create_table('catalog_share_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.String(length=36), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False, comment='who asks'),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False, comment='申请用途'),
    sa.Column('fields', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True, comment='None: every field'),
    sa.Column('duration_days', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False, comment='pending, approved, rejected or revoked'),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', yiwang.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('expires_at', yiwang.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', yiwang.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_catalog_share_requests_department_id_departments'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['resource_id'], ['catalog_resources.id'], name=op.f('fk_catalog_share_requests_resource_id_catalog_resources'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_share_requests'))
    )
    with op.batch_alter_table('catalog_share_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalog_share_requests_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_catalog_share_requests_resource_id'), ['resource_id'], unique=False)

    op.create_table('catalog_tags',
    sa.Column('resource_id', sa.String(length=36), nullable=False),
    sa.Column('tag', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['resource_id'], ['catalog_resources.id'], name=op.f('fk_catalog_tags_resource_id_catalog_resources'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('resource_id', 'tag', name=op.f('pk_catalog_tags'))
    )
    with op.batch_alter_table('catalog_tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalog_tags_tag'), ['tag'], unique=False)

    op.create_table('catalog_table_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('distribution_id', sa.String(length=36), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False, comment='1, 2, 3, ... per distribution'),
    sa.Column('table_name', sa.String(length=63), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False, comment='loading, ready or failed'),
    sa.Column('row_count', sa.BigInteger(), nullable=False),
    sa.Column('columns', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False, comment='[{name, type, personal, index}] in table order'),
    sa.Column('source_filename', sa.String(length=300), nullable=True),
    sa.Column('source_format', sa.String(length=16), nullable=True),
    sa.Column('source_encoding', sa.String(length=32), nullable=True),
    sa.Column('source_bytes', sa.BigInteger(), nullable=True),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('error', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('created_at', yiwang.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('finished_at', yiwang.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['distribution_id'], ['catalog_distributions.id'], name=op.f('fk_catalog_table_versions_distribution_id_catalog_distributions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_table_versions')),
    sa.UniqueConstraint('distribution_id', 'number', name=op.f('uq_catalog_table_versions_distribution_id_number'))
    )
    with op.batch_alter_table('catalog_table_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalog_table_versions_distribution_id'), ['distribution_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('catalog_table_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalog_table_versions_distribution_id'))

    op.drop_table('catalog_table_versions')
    with op.batch_alter_table('catalog_tags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalog_tags_tag'))

    op.drop_table('catalog_tags')
    with op.batch_alter_table('catalog_share_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalog_share_requests_resource_id'))
        batch_op.drop_index(batch_op.f('ix_catalog_share_requests_department_id'))

    op.drop_table('catalog_share_requests')
    with op.batch_alter_table('catalog_search_terms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalog_search_terms_resource_id'))

    op.drop_table('catalog_search_terms')
    with op.batch_alter_table('catalog_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalog_revisions_resource_id'))

    op.drop_table('catalog_revisions')
    with op.batch_alter_table('catalog_distributions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalog_distributions_resource_id'))

    op.drop_table('catalog_distributions')
    with op.batch_alter_table('catalog_resources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalog_resources_spatial_division'))
        batch_op.drop_index('ix_catalog_resources_listing')
        batch_op.drop_index(batch_op.f('ix_catalog_resources_department_id'))
        batch_op.drop_index(batch_op.f('ix_catalog_resources_category'))

    op.drop_table('catalog_resources')
