"""Shapes of catalogue entries in the native API."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field, model_validator

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
