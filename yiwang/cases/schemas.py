"""Shapes of service items, applications, complaints and transitions in the native API."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from yiwang.cases.vocab import ApplicantType, ItemKind, LifeEvent, PowerCategory, Theme

FileType = Literal["pdf", "jpeg", "png", "ofd", "docx", "xlsx", "zip"]  # vocab.FILE_TYPES

_KEY = r"^[a-z][a-z0-9_]{0,63}$"


class PowerCreate(BaseModel):
    code: str = Field(pattern=r"^[0-9A-Za-z][0-9A-Za-z\-]{3,63}$")
    department_id: int
    name: str = Field(min_length=2, max_length=300)
    category: PowerCategory
    legal_basis: str = Field(min_length=2, max_length=20000)


def _default_types() -> list[FileType]:
    return ["pdf", "jpeg", "png", "ofd"]


def _default_delivery() -> list[DeliveryMethod]:
    return ["courier", "pickup"]


DeliveryMethod = Literal["courier", "pickup", "online"]


class MaterialSpec(BaseModel):
    """申请材料: one document the applicant provides."""

    key: str = Field(pattern=_KEY)
    name: str = Field(min_length=1, max_length=200)
    mandatory: bool = True
    original: bool = Field(default=False, description="原件 (else 复印件)")
    types: list[FileType] = Field(default_factory=_default_types)
    max_bytes: int | None = Field(default=None, ge=1)


class FormFieldSpec(BaseModel):
    """One field of the application form generated from the item."""

    key: str = Field(pattern=_KEY)
    label: str = Field(min_length=1, max_length=200)
    type: Literal["text", "textarea", "number", "date", "select", "phone", "boolean"] = "text"
    required: bool = False
    options: list[str] = Field(default_factory=list, max_length=200)
    max_length: int = Field(default=500, ge=1, le=20000)


class FeeSpec(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    amount: float = Field(ge=0, description="yuan")
    basis: str | None = Field(default=None, max_length=1000)


class StepSpec(BaseModel):
    """One review step; its departments (slugs) review in parallel. None: the responsible."""

    key: str = Field(pattern=_KEY)
    name: str = Field(min_length=1, max_length=200)
    departments: list[str] = Field(default_factory=list, max_length=20)


class ItemVersionSpec(BaseModel):
    """What a service item says; every change makes a new version."""

    name: str = Field(min_length=2, max_length=300)
    name_en: str | None = Field(default=None, max_length=300)
    description: str | None = Field(default=None, max_length=20000)
    legal_basis: str | None = Field(default=None, max_length=20000)
    legal_limit_days: int = Field(ge=1, le=365)
    promised_limit_days: int = Field(ge=1, le=365)
    warn_days: int = Field(default=1, ge=0, le=30)
    clock_stops_on_supplement: bool = True
    trips: int = Field(default=0, ge=0, le=10)
    trips_offline: int = Field(default=2, ge=0, le=10)
    applicant_types: list[ApplicantType] = Field(
        default_factory=lambda: [ApplicantType.CITIZEN, ApplicantType.ENTERPRISE]
    )
    materials: list[MaterialSpec] = Field(default_factory=list, max_length=100)
    form_fields: list[FormFieldSpec] = Field(default_factory=list, max_length=200)
    fees: list[FeeSpec] = Field(default_factory=list, max_length=50)
    steps: list[StepSpec] = Field(default_factory=list, max_length=20)
    routing: dict[str, str] = Field(default_factory=dict)
    delivery_methods: list[DeliveryMethod] = Field(default_factory=_default_delivery)
    max_material_bytes: int | None = Field(default=None, ge=1)
    themes: list[Theme] = Field(
        default_factory=list,
        max_length=len(Theme),
        description="办事主题 the service hall lists the item under",
    )
    life_events: list[LifeEvent] = Field(
        default_factory=list,
        max_length=len(LifeEvent),
        description="人生事件 (citizens) and enterprise life events the item belongs to",
    )

    @model_validator(mode="after")
    def _consistent(self) -> ItemVersionSpec:
        if self.promised_limit_days > self.legal_limit_days:
            raise ValueError("promised_limit_days exceeds legal_limit_days")
        for name, keys in (
            ("materials", [m.key for m in self.materials]),
            ("form_fields", [f.key for f in self.form_fields]),
            ("steps", [s.key for s in self.steps]),
            ("themes", list(self.themes)),
            ("life_events", list(self.life_events)),
        ):
            if len(keys) != len(set(keys)):
                raise ValueError(f"{name} keys repeat")
        return self


class ItemCreate(ItemVersionSpec):
    code: str = Field(pattern=r"^[0-9A-Za-z][0-9A-Za-z\-_.]{2,63}$", examples=["ZJ-SCJG-001"])
    kind: ItemKind = ItemKind.SERVICE
    department_id: int
    power_code: str | None = None


class ApplicantIn(BaseModel):
    """Who applies. The identity number is checked as a resident ID or a USCC by type."""

    type: ApplicantType
    name: str = Field(min_length=1, max_length=200)
    id_number: str = Field(min_length=1, max_length=40)
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")


class ApplicationCreate(BaseModel):
    item_code: str = Field(min_length=1, max_length=64)
    applicant: ApplicantIn
    form: dict[str, Any] = Field(default_factory=dict)
    delivery_method: Literal["courier", "pickup", "online"] | None = None


class ContactIn(BaseModel):
    """A complainant's optional contact (personal data: masked in every public view)."""

    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=200)


class ComplaintCreate(BaseModel):
    category_code: str = Field(min_length=1, max_length=64)
    division_code: str = Field(pattern=r"^\d{6}$", description="the city containing the point")
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    address: str | None = Field(default=None, max_length=500)
    description: str = Field(min_length=1, max_length=10000)
    media_url: str | None = Field(default=None, max_length=1000)
    contact: ContactIn | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _located(self) -> ComplaintCreate:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("give both latitude and longitude")
        if self.latitude is None and not (self.address or "").strip():
            raise ValueError("give a location: latitude and longitude, or an address")
        return self


class TransitionIn(BaseModel):
    reason: str | None = Field(default=None, max_length=5000)
    decision: str | None = Field(default=None, max_length=16)
    document_number: str | None = Field(default=None, max_length=200)
    reply: str | None = Field(default=None, max_length=10000)
    delivery_method: Literal["courier", "pickup", "online"] | None = None
    tracking_number: str | None = Field(default=None, max_length=64)
    query_code: str | None = Field(default=None, max_length=32)


class TaskDone(BaseModel):
    opinion: Literal["agree", "disagree"]
    comment: str | None = Field(default=None, max_length=5000)


class RatingIn(BaseModel):
    score: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=2000)
    query_code: str | None = Field(default=None, max_length=32)
