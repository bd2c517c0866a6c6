"""Shapes of service items, applications, complaints and transitions in the native API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from yiwang.cases.vocab import ApplicantType, ItemKind, LifeEvent, PowerCategory, Theme
from yiwang.core.web.api import JobPublic

FileType = Literal["pdf", "jpeg", "png", "ofd", "docx", "xlsx", "zip"]  # vocab.FILE_TYPES

_KEY = r"^[a-z][a-z0-9_]{0,63}$"
MAX_KEYWORDS = 30
# A word people search by: no blank, no space inside (the search splits a query at spaces).
Keyword = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40, pattern=r"^\S+$")
]


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
    keywords: list[Keyword] = Field(
        default_factory=list,
        max_length=MAX_KEYWORDS,
        description="检索词: other names people search the item by (营业执照 for 企业设立登记); "
        "the search finds the item by these as by its name",
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
            ("keywords", list(self.keywords)),
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


class DeliveryAddressIn(BaseModel):
    """快递送达: who receives the result, and where. The divisions are GB/T 2260 codes, checked
    at filing: the city within the province (a municipality is its own city), the district
    within the city (none for a city without districts); the phone is a mainland mobile or
    landline number."""

    recipient: str = Field(max_length=100, description="收件人")
    phone: str = Field(max_length=32, description="mainland mobile or landline (0571-87654321)")
    province_code: str = Field(max_length=6, examples=["330000"])
    city_code: str = Field(max_length=6, examples=["330100"])
    district_code: str | None = Field(default=None, max_length=6, examples=["330106"])
    street: str = Field(max_length=200, description="street, number, building, room")


class ApplicationCreate(BaseModel):
    item_code: str = Field(min_length=1, max_length=64)
    applicant: ApplicantIn
    form: dict[str, Any] = Field(default_factory=dict)
    delivery_method: Literal["courier", "pickup", "online"] | None = None
    delivery_address: DeliveryAddressIn | None = Field(
        default=None, description="required for delivery by courier, ignored otherwise"
    )


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
    location_confirmed: bool = Field(
        default=False,
        description="file as sent even though the address names another city than the point "
        "(or, without a point, than division_code); without it such a complaint is refused",
    )

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


# --- answers -------------------------------------------------------------------------------------
# Built by the mappers of yiwang.cases.views, the only place they are made. Dates and times are
# ISO 8601 text; personal data is masked unless the reader handles the case.


class PowerPublic(BaseModel):
    """权力事项: one entry of the power list."""

    code: str
    department_id: int
    name: str
    category: str = Field(description="the power's category (行政许可, 行政处罚, ...)")
    legal_basis: str


class ItemPublic(BaseModel):
    """A service item or complaint category with its current version (what ItemVersionSpec
    gave)."""

    code: str
    kind: str = Field(description="service, complaint_category or task")
    department_id: int
    power_id: int | None = Field(description="the power (权力事项) the item exercises")
    state: str
    version: int = Field(description="the current version's number")
    name: str
    name_en: str | None
    description: str | None
    legal_basis: str | None
    legal_limit_days: int = Field(description="法定办结时限, working days")
    promised_limit_days: int = Field(description="承诺办结时限, working days")
    warn_days: int = Field(description="working days before the due date a yellow card is due")
    clock_stops_on_supplement: bool = Field(description="补正 pauses the deadline")
    trips: int = Field(description="trips the applicant makes (最多跑一次)")
    trips_offline: int = Field(description="trips at a counter, for trips saved")
    applicant_types: list[str]
    materials: list[dict[str, Any]] = Field(description="申请材料, each as MaterialSpec")
    form_fields: list[dict[str, Any]] = Field(description="each as FormFieldSpec")
    fees: list[dict[str, Any]] = Field(description="each as FeeSpec")
    free: bool = Field(description="no fee has an amount")
    steps: list[dict[str, Any]] = Field(description="review steps, each as StepSpec")
    routing: dict[str, Any] = Field(description="division code to responsible department")
    delivery_methods: list[str]
    max_material_bytes: int | None
    themes: list[str] = Field(description="办事主题")
    life_events: list[str] = Field(description="人生事件")
    keywords: list[str] = Field(description="检索词: other names the item is found by")


class CaseItemRef(BaseModel):
    code: str
    name: str
    version: int = Field(description="the item's version the case was filed under")


class ApplicantPublic(BaseModel):
    type: str | None = Field(description="citizen or enterprise")
    name: str | None
    id_number: str | None = Field(description="resident ID or USCC, masked for others")
    phone: str | None
    email: str | None


class LocationPublic(BaseModel):
    lat: float | None
    long: float | None
    address: str | None


class DeliveryAddressPublic(BaseModel):
    """Where a courier delivers; recipient, phone and street masked for others."""

    recipient: str | None
    phone: str | None
    province_code: str
    city_code: str
    district_code: str | None
    division: str = Field(description="the divisions' names, e.g. 浙江省杭州市西湖区")
    street: str | None
    full: str = Field(description="the whole address as one line")


class DeliveryPublic(BaseModel):
    method: str | None = Field(description="courier, pickup or online")
    tracking_number: str | None
    address: DeliveryAddressPublic | None = Field(
        default=None, description="delivery by courier: the recipient and address"
    )


class MaterialPublic(BaseModel):
    key: str = Field(description="the item's material key, or the supplement's")
    purpose: str
    filename: str
    type: str = Field(description="the file type: pdf, jpeg, png, ofd, ...")
    size: int = Field(description="bytes")
    digest: str = Field(description="SHA-256 of the file")
    provided_by: str | None


class TaskPublic(BaseModel):
    """A department's review task of one step."""

    id: int
    step: str
    name: str
    position: int
    department_id: int
    state: str
    opinion: str | None = Field(description="agree or disagree, once given")
    comment: str | None


class TransitionPublic(BaseModel):
    """One move of the case."""

    action: str
    from_: str | None = Field(alias="from", description="the state before")
    to: str = Field(description="the state after")
    party: str = Field(description="applicant, staff, system, ...")
    by: str = Field(description="who acted: a name for those handling the case, else the party")
    reason: str | None
    at: str


class RatingPublic(BaseModel):
    score: int = Field(description="好差评, 1 (very poor) to 5 (very good)")
    comment: str | None
    at: str


class CasePublic(BaseModel):
    """A case as its applicant or its handlers see it."""

    number: str
    kind: str = Field(description="application, complaint or task")
    item: CaseItemRef
    department_id: int
    division_code: str
    state: str
    state_label: str = Field(description="the state in Chinese")
    is_open: bool
    applicant: ApplicantPublic
    form: dict[str, Any] = Field(description="the application form's values")
    location: LocationPublic | None = Field(description="complaints and tasks only")
    source_ref: str | None = Field(description="the source's reference, e.g. an alert")
    description: str | None
    media_url: str | None
    reply: str | None
    submitted_at: str
    submitted_on: str
    due_on: str
    legal_due_on: str
    deadline_provisional: bool = Field(
        description="counted over a year with no official holiday schedule (预计)"
    )
    paused: bool = Field(description="the deadline is paused (补正)")
    paused_workdays: int
    card: str | None = Field(description="yellow or red, from supervision (电子监察)")
    finished_on: str | None
    workdays_used: int | None
    on_time: bool | None
    decision: str | None
    decision_document: str | None
    delivery: DeliveryPublic
    actions: list[str] = Field(description="the actions the state allows")
    materials: list[MaterialPublic]
    tasks: list[TaskPublic]
    history: list[TransitionPublic]
    flags: list[Any] | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        description="what filing flagged; only for those handling the case",
    )
    rating: RatingPublic | None
    query_code: str | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        description="查询码, shown once: when the case is filed",
    )
    created: bool | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        description="filing only: false when an Idempotency-Key repeat found the case",
    )


class CaseSummary(BaseModel):
    """A case in a list: no materials, history or personal data beyond the masked name."""

    number: str
    kind: str
    item_id: int
    department_id: int
    division_code: str
    state: str
    is_open: bool
    applicant_name: str | None
    submitted_at: str
    due_on: str
    deadline_provisional: bool
    card: str | None
    on_time: bool | None


class CaseList(BaseModel):
    items: list[CaseSummary]
    total: int | None
    limit: int
    offset: int
    next: str | None


class CardCounts(BaseModel):
    model_config = ConfigDict(extra="forbid")

    yellow: int
    red: int


class DepartmentCards(BaseModel):
    model_config = ConfigDict(extra="forbid")

    department_id: int
    department: str | None
    yellow: int
    red: int


class ItemCards(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item: str = Field(description="the item's code")
    name: str | None
    yellow: int
    red: int


class FlaggedCase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: str
    department_id: int
    department: str | None
    item: str = Field(description="the item's code")
    due_on: str
    card: str | None
    state: str
    days_overdue: int


class SupervisionPublic(BaseModel):
    """电子监察: cards issued in the window, open cases carrying one, the most overdue."""

    model_config = ConfigDict(extra="forbid")

    scope: str = Field(description="province or department")
    department_id: int | None
    department: str | None
    today: str
    since: str | None
    until: str | None
    cards: CardCounts = Field(description="cards issued in the window")
    open_with_card: CardCounts = Field(description="open cases carrying a card now")
    by_department: list[DepartmentCards]
    by_item: list[ItemCards]
    flagged: list[FlaggedCase] = Field(description="the most overdue open cases with a card")


class StatisticsTotals(BaseModel):
    model_config = ConfigDict(extra="forbid")

    volume: int = Field(description="cases submitted")
    finished: int
    on_time_rate: float | None = Field(description="of finished cases, 0 to 1")
    average_workdays: float | None
    ratings: int
    satisfaction: float | None = Field(description="the average score, 1 to 5")
    good_rate: float | None = Field(description="ratings of 4 or 5, 0 to 1")
    zero_trip_cases: int = Field(description="finished cases needing no trip")
    trips_saved: int = Field(description="counter trips less the item's, of finished applications")


class StatisticsRow(BaseModel):
    """The figures of :class:`StatisticsTotals` for one department and item."""

    model_config = ConfigDict(extra="forbid")

    department_id: int
    department: str | None
    item: str = Field(description="the item's code")
    item_name: str
    volume: int
    finished: int
    on_time_rate: float | None
    average_workdays: float | None
    ratings: int
    satisfaction: float | None
    good_rate: float | None
    zero_trip_cases: int
    trips_saved: int


class StatisticsPublic(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: dt.date
    end: dt.date = Field(description="exclusive")
    totals: StatisticsTotals
    rows: list[StatisticsRow] = Field(description="one per department and item")


class RatingGiven(BaseModel):
    number: str
    score: int
    comment: str | None


class StatisticsQueued(BaseModel):
    job: JobPublic = Field(description="the publication; poll it at /api/v1/jobs/{id}")
