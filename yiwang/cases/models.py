"""Tables of the cases engine: the power list, service items with their versions, cases with
their transitions, materials, review tasks, supervision cards and ratings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from yiwang.core.db import Base, CreatedAt, IntPK, JSONType, UTCDateTime


class Power(Base):
    """行政权力: one administrative power of a department (权力清单)."""

    __tablename__ = "cases_powers"

    id: Mapped[IntPK]
    code: Mapped[str] = mapped_column(String(64), unique=True, comment="权力编码")
    department_id: Mapped[int] = mapped_column(
        ForeignKey("departments.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(300))
    category: Mapped[str] = mapped_column(String(16), comment="one of the ten power categories")
    legal_basis: Mapped[str] = mapped_column(Text, comment="设定依据")
    created_at: Mapped[CreatedAt]


class ServiceItem(Base):
    """办事事项 or 投诉类别: what a case is filed against. Its content lives in versions."""

    __tablename__ = "cases_items"

    id: Mapped[IntPK]
    code: Mapped[str] = mapped_column(String(64), unique=True, comment="事项编码 / service_code")
    kind: Mapped[str] = mapped_column(String(24), comment="service, complaint_category or task")
    department_id: Mapped[int] = mapped_column(
        ForeignKey("departments.id", ondelete="RESTRICT"),
        index=True,
        comment="the department responsible (routing may send complaints elsewhere)",
    )
    power_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases_powers.id", ondelete="RESTRICT"), index=True
    )
    current_version_id: Mapped[int | None] = mapped_column(
        Integer, comment="the version new cases are filed under"
    )
    state: Mapped[str] = mapped_column(String(16), comment="active or retired")
    created_at: Mapped[CreatedAt]
    modified_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class ItemVersion(Base):
    """One version of a service item; a case keeps the version it was filed under."""

    __tablename__ = "cases_item_versions"
    __table_args__ = (UniqueConstraint("item_id", "number"),)

    id: Mapped[IntPK]
    item_id: Mapped[int] = mapped_column(
        ForeignKey("cases_items.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer, comment="1, 2, 3, ... per item")
    name: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    legal_basis: Mapped[str | None] = mapped_column(Text, comment="设定依据")
    legal_limit_days: Mapped[int] = mapped_column(Integer, comment="法定时限, working days")
    promised_limit_days: Mapped[int] = mapped_column(Integer, comment="承诺时限, working days")
    warn_days: Mapped[int] = mapped_column(
        Integer, comment="yellow card when this many working days (or fewer) are left"
    )
    clock_stops_on_supplement: Mapped[bool] = mapped_column(
        Boolean, comment="补正 stops the clock (resumed when the applicant supplements)"
    )
    trips: Mapped[int] = mapped_column(Integer, comment="trips in person (0 = fully online)")
    trips_offline: Mapped[int] = mapped_column(
        Integer, comment="trips the counter procedure needs: the counterpart of 最多跑一次"
    )
    applicant_types: Mapped[list[str]] = mapped_column(JSONType, comment="citizen, enterprise")
    materials: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONType, comment="[{key, name, mandatory, original, types, max_bytes}]"
    )
    form_fields: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONType, comment="[{key, label, type, required, options, max_length}]"
    )
    fees: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, comment="[{name, amount, basis}]")
    steps: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONType, comment="[{key, name, departments: [slug]}]; departments of a step in parallel"
    )
    routing: Mapped[dict[str, str]] = mapped_column(
        JSONType, comment='complaints: {"330100": department slug, "default": slug}'
    )
    delivery_methods: Mapped[list[str]] = mapped_column(JSONType)
    max_material_bytes: Mapped[int | None] = mapped_column(BigInteger)
    themes: Mapped[list[str]] = mapped_column(
        JSONType, server_default=text("'[]'"), comment="办事主题 (vocab.Theme)"
    )
    life_events: Mapped[list[str]] = mapped_column(
        JSONType, server_default=text("'[]'"), comment="人生事件 (vocab.LifeEvent)"
    )
    keywords: Mapped[list[str]] = mapped_column(
        JSONType,
        server_default=text("'[]'"),
        comment="检索词: the names people search by (营业执照 for 企业设立登记)",
    )
    created_at: Mapped[CreatedAt]
    created_by_id: Mapped[int | None] = mapped_column(Integer)


class Case(Base):
    """办件: one application or complaint, from filing to closing."""

    __tablename__ = "cases_cases"
    __table_args__ = (
        Index("ix_cases_cases_listing", "kind", "is_open", "submitted_at"),
        Index("ix_cases_cases_item_time", "item_id", "submitted_at"),
        # Open311's usual filters: a category (or all complaints) in one city, open or closed.
        Index("ix_cases_cases_item_city", "item_id", "division_code", "is_open", "submitted_at"),
        Index("ix_cases_cases_kind_city", "kind", "division_code", "is_open", "submitted_at"),
        Index("ix_cases_cases_department_state", "department_id", "state"),
        Index("ix_cases_cases_submitted_on", "submitted_on"),
    )

    id: Mapped[IntPK]
    number: Mapped[str] = mapped_column(String(32), unique=True, comment="办件编号")
    kind: Mapped[str] = mapped_column(String(16), comment="application, complaint or task")
    item_id: Mapped[int] = mapped_column(ForeignKey("cases_items.id", ondelete="RESTRICT"))
    item_version_id: Mapped[int] = mapped_column(
        ForeignKey("cases_item_versions.id", ondelete="RESTRICT"), index=True
    )
    department_id: Mapped[int] = mapped_column(
        ForeignKey("departments.id", ondelete="RESTRICT"), comment="the responsible department"
    )
    division_code: Mapped[str] = mapped_column(String(6), comment="GB/T 2260 division")
    state: Mapped[str] = mapped_column(String(24))
    is_open: Mapped[bool] = mapped_column(Boolean, comment="not rejected, closed or withdrawn")
    source: Mapped[str] = mapped_column(
        String(16), comment="web, api, open311, demo, or the engine that asked for it"
    )
    source_ref: Mapped[str | None] = mapped_column(
        String(100),
        index=True,
        comment="what another engine opened it for, e.g. sensing.alert:123",
    )
    applicant_type: Mapped[str | None] = mapped_column(String(16))
    applicant_name: Mapped[str | None] = mapped_column(String(200))
    applicant_id_number: Mapped[str | None] = mapped_column(
        String(18), comment="resident ID or USCC: personal data, masked in responses"
    )
    applicant_phone: Mapped[str | None] = mapped_column(String(32))
    applicant_email: Mapped[str | None] = mapped_column(String(200))
    applicant_user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    form_data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    extra: Mapped[dict[str, Any]] = mapped_column(
        JSONType, comment="what a standard API carries beside (device_id, account_id, ...)"
    )
    query_code_digest: Mapped[str] = mapped_column(
        String(64), comment="SM3 of number and query code; the code itself is never stored"
    )
    idempotency_key: Mapped[str | None] = mapped_column(
        String(64), unique=True, comment="SM3 of the client's Idempotency-Key and applicant"
    )
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    media_url: Mapped[str | None] = mapped_column(String(1000))
    reply: Mapped[str | None] = mapped_column(Text, comment="the public answer (status notes)")
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    submitted_on: Mapped[dt.date] = mapped_column(Date, comment="local date of submission")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    legal_due_on: Mapped[dt.date] = mapped_column(Date, comment="法定时限 ends (incl. pauses)")
    due_on: Mapped[dt.date] = mapped_column(
        Date, comment="承诺时限 ends (incl. pauses): what supervision watches"
    )
    warn_days: Mapped[int] = mapped_column(SmallInteger)
    paused_on: Mapped[dt.date | None] = mapped_column(Date, comment="the clock stopped (补正)")
    paused_from: Mapped[str | None] = mapped_column(String(24), comment="state before 补正")
    paused_workdays: Mapped[int] = mapped_column(Integer, default=0)
    next_card_on: Mapped[dt.date | None] = mapped_column(
        Date,
        index=True,
        comment="the day the next yellow or red card falls due; NULL when none can",
    )
    card: Mapped[str | None] = mapped_column(String(8), comment="yellow or red, the latest")
    deadline_provisional: Mapped[bool] = mapped_column(
        Boolean,
        default=False,
        server_default=false(),
        comment="the deadlines and next card date were counted over a year with no official "
        "holiday schedule (预计); recounted when it is imported",
    )
    finished_on: Mapped[dt.date | None] = mapped_column(Date, comment="办结 (local date)")
    workdays_used: Mapped[int | None] = mapped_column(Integer, comment="clock time, pauses out")
    on_time: Mapped[bool | None] = mapped_column(Boolean)
    decision: Mapped[str | None] = mapped_column(String(16))
    decision_document: Mapped[str | None] = mapped_column(String(200), comment="文书编号")
    delivery_method: Mapped[str | None] = mapped_column(String(16))
    delivery_recipient: Mapped[str | None] = mapped_column(
        String(100), comment="courier delivery: the recipient (personal data, masked)"
    )
    delivery_phone: Mapped[str | None] = mapped_column(
        String(32), comment="courier delivery: the recipient's phone (personal data, masked)"
    )
    delivery_division_code: Mapped[str | None] = mapped_column(
        String(6), comment="courier delivery: GB/T 2260 district (or city without districts)"
    )
    delivery_address: Mapped[str | None] = mapped_column(
        String(200), comment="courier delivery: street and house (personal data, masked)"
    )
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    trips: Mapped[int] = mapped_column(SmallInteger, comment="trips the item needs")
    trips_offline: Mapped[int] = mapped_column(SmallInteger)


class Transition(Base):
    """One change of a case's state: who, when, why."""

    __tablename__ = "cases_transitions"

    id: Mapped[IntPK]
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases_cases.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(24))
    to_state: Mapped[str] = mapped_column(String(24))
    party: Mapped[str] = mapped_column(String(16), comment="applicant, responsible, step, ...")
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(150))
    department_id: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType)
    at: Mapped[CreatedAt]


class Material(Base):
    """An uploaded file of a case (stored under var_dir, named by its content digest)."""

    __tablename__ = "cases_materials"

    id: Mapped[IntPK]
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases_cases.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(64), comment="the item's material key")
    purpose: Mapped[str] = mapped_column(String(16), comment="application, supplement, decision")
    filename: Mapped[str] = mapped_column(String(300))
    file_type: Mapped[str] = mapped_column(String(16), comment="sniffed from content")
    size: Mapped[int] = mapped_column(BigInteger)
    digest: Mapped[str] = mapped_column(String(64), comment="SM3 of the content")
    provided_by: Mapped[str | None] = mapped_column(
        String(200),
        comment="<provider>:<reference> when a provider offered it in place of an upload",
    )
    uploaded_at: Mapped[CreatedAt]


class Task(Base):
    """A review task: one department's part of one step (parallel within a step)."""

    __tablename__ = "cases_tasks"

    id: Mapped[IntPK]
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases_cases.id", ondelete="CASCADE"), index=True
    )
    step_key: Mapped[str] = mapped_column(String(64))
    step_name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, comment="steps run in order")
    department_id: Mapped[int] = mapped_column(
        ForeignKey("departments.id", ondelete="RESTRICT"), index=True
    )
    state: Mapped[str] = mapped_column(String(16), comment="pending or done")
    opinion: Mapped[str | None] = mapped_column(String(16), comment="agree or disagree")
    comment: Mapped[str | None] = mapped_column(Text)
    done_by_id: Mapped[int | None] = mapped_column(Integer)
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Card(Base):
    """电子监察: a yellow card (deadline near) or red card (overdue) issued to a case."""

    __tablename__ = "cases_cards"
    __table_args__ = (
        UniqueConstraint("case_id", "level"),
        Index("ix_cases_cards_department_issued", "department_id", "issued_on"),
        Index("ix_cases_cards_item_issued", "item_id", "issued_on"),
    )

    id: Mapped[IntPK]
    case_id: Mapped[int] = mapped_column(ForeignKey("cases_cases.id", ondelete="CASCADE"))
    level: Mapped[str] = mapped_column(String(8), comment="yellow or red")
    department_id: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[dt.date] = mapped_column(Date)
    workdays_left: Mapped[int] = mapped_column(Integer, comment="negative when overdue")
    issued_on: Mapped[dt.date] = mapped_column(Date)
    issued_at: Mapped[CreatedAt]
    provisional: Mapped[bool] = mapped_column(
        Boolean,
        default=False,
        server_default=false(),
        comment="issued on a deadline counted over a provisional holiday calendar",
    )
    note: Mapped[str | None] = mapped_column(
        Text, comment="why the card would not have been issued on the official calendar"
    )


class Rating(Base):
    """好差评: the applicant's rating of a closed case (one per case)."""

    __tablename__ = "cases_ratings"
    __table_args__ = (Index("ix_cases_ratings_department_item", "department_id", "item_id"),)

    id: Mapped[IntPK]
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases_cases.id", ondelete="CASCADE"), unique=True
    )
    score: Mapped[int] = mapped_column(SmallInteger, comment="1 (very poor) to 5 (very good)")
    comment: Mapped[str | None] = mapped_column(Text)
    department_id: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(Integer)
    via: Mapped[str] = mapped_column(String(16), comment="query_code or user")
    rated_at: Mapped[CreatedAt]


class NumberSequence(Base):
    """The last case number given per division and day."""

    __tablename__ = "cases_number_sequences"

    prefix: Mapped[str] = mapped_column(String(24), primary_key=True)
    last: Mapped[int] = mapped_column(Integer)
