"""Shapes of catalogue entries in the native API."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from yiwang.catalog.vocab import CatalogType, Frequency, OpenClass, ShareClass
from yiwang.core.codes import DivisionCode

FieldType = Literal["integer", "decimal", "boolean", "date", "datetime", "text"]
PersonalKindName = Literal["resident_id", "mobile", "name", "address"]


class FieldSpec(BaseModel):
    """信息项: one data item of a resource."""

    name: str = Field(min_length=1, max_length=100)
    type: FieldType = "text"
    description: str | None = Field(default=None, max_length=500)
    personal: PersonalKindName | None = Field(
        default=None, description="the kind of personal data the item holds, if any"
    )


class ResourceFields(BaseModel):
    """The metadata a department editor gives (GB/T 21063 style)."""

    title: str = Field(min_length=2, max_length=300, examples=["杭州市空气质量小时数据"])
    title_en: str | None = Field(default=None, max_length=300)
    summary: str = Field(min_length=1, max_length=20000)
    catalog_type: CatalogType = CatalogType.DEPARTMENTAL
    category: str | None = Field(default=None, max_length=32)
    format: str | None = Field(default=None, max_length=32, examples=["CSV"])
    fields: list[FieldSpec] = Field(default_factory=list, max_length=500)
    share_class: ShareClass = ShareClass.UNCONDITIONAL
    share_conditions: str | None = Field(default=None, max_length=5000)
    open_class: OpenClass = OpenClass.NONE
    open_conditions: str | None = Field(default=None, max_length=5000)
    update_frequency: Frequency = Frequency.IRREGULAR
    publish_date: dt.date | None = None
    related: list[str] = Field(default_factory=list, max_length=100)
    tags: list[str] = Field(default_factory=list, max_length=50)
    license_id: str = Field(default="zj-open-data", max_length=32)
    spatial_division: DivisionCode | None = None
    temporal_start: dt.date | None = None
    temporal_end: dt.date | None = None
    contact_email: str | None = Field(default=None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")

    @model_validator(mode="after")
    def _periods_run_forward(self) -> ResourceFields:
        if self.temporal_start and self.temporal_end and self.temporal_end < self.temporal_start:
            raise ValueError("temporal_end is before temporal_start")
        return self


class ResourceCreate(ResourceFields):
    department_id: int
    code: str | None = Field(
        default=None,
        pattern=r"^[0-9A-Za-z][0-9A-Za-z\-/.]{3,63}$",
        description="资源代码; made from the division, department and year if omitted",
    )
    name: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9][a-z0-9_\-]{1,99}$",
        description="URL name (CKAN name); made from the code if omitted",
    )
    state: Literal["draft", "active"] = "draft"


# --- answers -------------------------------------------------------------------------------------
# A catalogue entry is answered in CKAN's shape (yiwang.catalog.packages builds it for the
# native API, the CKAN Action API and the DCAT export alike); these models are that shape, and
# forbid keys they do not name so that the dicts and the models cannot drift apart.


class OrganizationPublic(BaseModel):
    """The providing department as a CKAN organization."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="the department's id, as text")
    name: str = Field(description="the department's slug")
    title: str
    title_en: str | None
    display_name: str
    description: str
    type: Literal["organization"]
    is_organization: Literal[True]
    state: str
    approval_status: str
    division_code: str | None = Field(description="GB/T 2260 code of the department's area")
    image_url: str
    created: str | None = Field(description="ISO 8601")


class GroupPublic(BaseModel):
    """A category (资源分类) as a CKAN group."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    title: str
    title_en: str
    display_name: str
    description: str
    type: Literal["group"]
    is_organization: Literal[False]
    state: str
    image_url: str


class TagPublic(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    display_name: str
    state: str


class DistributionPublic(BaseModel):
    """A table or file of a resource, as a CKAN resource."""

    model_config = ConfigDict(extra="forbid")

    id: str
    package_id: str = Field(description="the resource's id")
    name: str
    description: str
    format: str
    mimetype: str | None
    url: str = Field(description="the file's address, or the CSV dump of the current version")
    url_type: str | None = Field(description="upload when the data is held here")
    position: int
    state: str
    created: str | None = Field(description="ISO 8601")
    last_modified: str | None
    metadata_modified: str | None
    datastore_active: bool = Field(description="a version is loaded and can be queried")
    size: int | None = Field(description="bytes of the current version's file")
    datastore_rows: int | None
    datastore_version: int | None = Field(description="the current version's number")


class PackagePublic(BaseModel):
    """A catalogue resource (政务信息资源) as a CKAN package: the editable metadata of
    :class:`ResourceFields` (dates as ISO 8601 text), with CKAN's names beside them."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str = Field(description="URL name (CKAN name)")
    code: str = Field(description="资源代码")
    title: str
    title_en: str | None
    notes: str = Field(description="资源摘要 (the summary, under CKAN's name)")
    summary: str
    type: Literal["dataset"]
    state: str = Field(description="draft, active or deleted")
    private: bool = Field(description="not open to the public (open_class none)")
    owner_org: str = Field(description="the providing department's id, as text")
    organization: OrganizationPublic
    author: str
    maintainer: str
    maintainer_email: str | None
    catalog_type: str
    category: str | None
    format: str | None
    fields: list[dict[str, Any]] = Field(description="信息项, each as FieldSpec")
    share_class: str
    share_conditions: str | None
    share_class_label: str
    open_class: str
    open_conditions: str | None
    open_class_label: str
    update_frequency: str
    publish_date: str | None
    related: list[str] = Field(description="codes of related resources")
    license_id: str
    license_title: str
    license_url: str | None
    spatial_division: str | None = Field(description="GB/T 2260 code of the area covered")
    spatial_name: str | None
    temporal_start: str | None
    temporal_end: str | None
    contact_email: str | None
    tags: list[TagPublic]
    num_tags: int
    groups: list[GroupPublic] = Field(description="the category, if it is a known one")
    metadata_created: str | None
    metadata_modified: str | None
    revision: int
    url: str = Field(description="the resource's page")
    version: str = Field(description="the revision, as text")
    language: list[str]
    resources: list[DistributionPublic] = Field(description="the active distributions")
    num_resources: int


class PackageSearch(BaseModel):
    items: list[PackagePublic]
    total: int
    limit: int
    offset: int
    facets: dict[str, dict[str, int]] = Field(
        description="per facet field, the count of each value"
    )
    next: str | None


class ResourceDeleted(BaseModel):
    id: str
    state: str


class RevisionPublic(BaseModel):
    """One entry of a resource's edit history (编辑历史)."""

    revision: int
    action: str = Field(description="create, update, publish, delete, ...")
    changed_by_id: int | None
    changed_at: dt.datetime
    snapshot: dict[str, Any] = Field(description="the metadata after the change")


class DistributionCreated(BaseModel):
    id: str
    resource_id: str
    name: str
    format: str | None


class VersionRestored(BaseModel):
    distribution_id: str
    current_version: int = Field(description="the number of the version now current")


class IndexesAdded(BaseModel):
    indexed: list[list[str]] = Field(description="the indexes made, each a list of fields")


class DataField(BaseModel):
    name: str
    type: str
    personal: str | None = Field(description="the kind of personal data the field holds")
    masked: bool = Field(description="the values are masked for this reader")


class DataPage(BaseModel):
    fields: list[DataField]
    records: list[dict[str, Any]] = Field(description="rows by field name, with their _id")
    total: int | None
    limit: int
    offset: int
    version: int = Field(description="the number of the version read")
    access: str = Field(description="full, shared or open: what the reader sees")


class SharePublic(BaseModel):
    """A request to use a conditionally shared resource (共享申请)."""

    id: int
    resource_id: str
    department_id: int = Field(description="the requesting department")
    requested_by_id: int
    purpose: str = Field(description="申请用途")
    fields: list[str] | None = Field(description="the fields asked for; null: every field")
    duration_days: int
    status: str = Field(
        description="pending, approved, rejected, revoked, or expired (approved, past its term)"
    )
    decided_by_id: int | None
    decided_at: dt.datetime | None
    reason: str | None
    expires_at: dt.datetime | None
    created_at: dt.datetime
