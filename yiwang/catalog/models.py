"""The catalogue: resources (CKAN packages), their distributions (CKAN resources) with
versioned datastore tables, edit history, search terms and share requests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yiwang.core.db import Base, CreatedAt, IntPK, JSONType, UTCDateTime


class Resource(Base):
    """政务信息资源: one catalogue entry (a CKAN package)."""

    __tablename__ = "catalog_resources"
    __table_args__ = (Index("ix_catalog_resources_listing", "state", "open_class", "modified_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, comment="UUID")
    name: Mapped[str] = mapped_column(String(100), unique=True, comment="URL name (CKAN name)")
    code: Mapped[str] = mapped_column(String(64), unique=True, comment="资源代码")
    title: Mapped[str] = mapped_column(String(300), comment="资源名称 (Chinese)")
    title_en: Mapped[str | None] = mapped_column(String(300))
    department_id: Mapped[int] = mapped_column(
        ForeignKey("departments.id", ondelete="RESTRICT"), index=True, comment="资源提供方"
    )
    summary: Mapped[str] = mapped_column(Text, comment="资源摘要")
    catalog_type: Mapped[str] = mapped_column(String(16), comment="basic, thematic, departmental")
    category: Mapped[str | None] = mapped_column(String(32), index=True, comment="资源分类")
    format: Mapped[str | None] = mapped_column(String(32), comment="资源格式, e.g. CSV")
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, comment="信息项")
    share_class: Mapped[str] = mapped_column(String(16))
    share_conditions: Mapped[str | None] = mapped_column(Text, comment="共享条件")
    open_class: Mapped[str] = mapped_column(String(16))
    open_conditions: Mapped[str | None] = mapped_column(Text, comment="开放条件")
    update_frequency: Mapped[str] = mapped_column(String(16))
    publish_date: Mapped[dt.date | None] = mapped_column(Date)
    related: Mapped[list[str]] = mapped_column(JSONType, comment="codes of related resources")
    license_id: Mapped[str] = mapped_column(String(32))
    spatial_division: Mapped[str | None] = mapped_column(
        String(6), index=True, comment="GB/T 2260 code of the area covered"
    )
    temporal_start: Mapped[dt.date | None] = mapped_column(Date)
    temporal_end: Mapped[dt.date | None] = mapped_column(Date)
    contact_email: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16), comment="draft, active or deleted")
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[CreatedAt]
    modified_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(Integer)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    tags: Mapped[list[ResourceTag]] = relationship(
        cascade="all, delete-orphan", order_by="ResourceTag.tag", lazy="selectin"
    )
    distributions: Mapped[list[Distribution]] = relationship(
        back_populates="resource", order_by="Distribution.position", lazy="selectin"
    )


class ResourceTag(Base):
    __tablename__ = "catalog_tags"

    resource_id: Mapped[str] = mapped_column(
        ForeignKey("catalog_resources.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(100), primary_key=True, index=True)


class ResourceRevision(Base):
    """A snapshot of a resource's metadata after each change (编辑历史)."""

    __tablename__ = "catalog_revisions"
    __table_args__ = (UniqueConstraint("resource_id", "revision"),)

    id: Mapped[IntPK]
    resource_id: Mapped[str] = mapped_column(
        ForeignKey("catalog_resources.id", ondelete="CASCADE"), index=True
    )
    revision: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32), comment="create, update, publish, delete, ...")
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONType)
    changed_by_id: Mapped[int | None] = mapped_column(Integer)
    changed_at: Mapped[CreatedAt]


class SearchTerm(Base):
    """The inverted index of catalogue search: one row per resource and segmented term."""

    __tablename__ = "catalog_search_terms"

    term: Mapped[str] = mapped_column(String(64), primary_key=True)
    resource_id: Mapped[str] = mapped_column(
        ForeignKey("catalog_resources.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    weight: Mapped[int] = mapped_column(Integer, comment="3 in the title, 2 in tags, 1 elsewhere")


class Distribution(Base):
    """One table or file of a resource (a CKAN resource)."""

    __tablename__ = "catalog_distributions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, comment="UUID")
    resource_id: Mapped[str] = mapped_column(
        ForeignKey("catalog_resources.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    format: Mapped[str | None] = mapped_column(String(32))
    url: Mapped[str | None] = mapped_column(
        String(1000), comment="an outside link, if not uploaded"
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    current_version_id: Mapped[int | None] = mapped_column(
        Integer, comment="the table version readers see"
    )
    state: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[CreatedAt]
    modified_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    resource: Mapped[Resource] = relationship(back_populates="distributions")


class TableVersion(Base):
    """One load of a distribution's data into its own datastore table."""

    __tablename__ = "catalog_table_versions"
    __table_args__ = (UniqueConstraint("distribution_id", "number"),)

    id: Mapped[IntPK]
    distribution_id: Mapped[str] = mapped_column(
        ForeignKey("catalog_distributions.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer, comment="1, 2, 3, ... per distribution")
    table_name: Mapped[str] = mapped_column(String(63))
    status: Mapped[str] = mapped_column(String(16), comment="loading, ready or failed")
    row_count: Mapped[int] = mapped_column(BigInteger, default=0)
    columns: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONType, comment="[{name, type, personal, index}] in table order"
    )
    source_filename: Mapped[str | None] = mapped_column(String(300))
    source_format: Mapped[str | None] = mapped_column(String(16))
    source_encoding: Mapped[str | None] = mapped_column(String(32))
    source_bytes: Mapped[int | None] = mapped_column(BigInteger)
    job_id: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    created_at: Mapped[CreatedAt]
    created_by_id: Mapped[int | None] = mapped_column(Integer)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class ShareRequest(Base):
    """共享申请: a department asks for a conditionally shared resource."""

    __tablename__ = "catalog_share_requests"

    id: Mapped[IntPK]
    resource_id: Mapped[str] = mapped_column(
        ForeignKey("catalog_resources.id", ondelete="CASCADE"), index=True
    )
    department_id: Mapped[int] = mapped_column(
        ForeignKey("departments.id", ondelete="RESTRICT"), index=True, comment="who asks"
    )
    requested_by_id: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(Text, comment="申请用途")
    fields: Mapped[list[str] | None] = mapped_column(JSONType, comment="None: every field")
    duration_days: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(
        String(16), comment="pending, approved, rejected or revoked"
    )
    decided_by_id: Mapped[int | None] = mapped_column(Integer)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[CreatedAt]
