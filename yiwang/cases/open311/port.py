"""What the Open311 layer needs from the cases engine, and nothing more: the complaint
categories with their attribute definitions, filing a complaint, reading complaints by id or
by filter, and turning a token into a request id. :class:`ComplaintDesk` is that contract;
``adapter.CasesDesk`` fulfils it with the cases service, tests fulfil it with a fake.

Values here are already in Open311's terms (``open``/``closed``, service codes, request ids as
text) so the HTTP layer only parses and renders."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from sqlalchemy.orm import Session

from yiwang.core.policy import Actor

Datatype = Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]
DATATYPES: tuple[Datatype, ...] = (
    "string",
    "number",
    "datetime",
    "text",
    "singlevaluelist",
    "multivaluelist",
)
Status = Literal["open", "closed"]
STATUSES: tuple[Status, ...] = ("open", "closed")


@dataclass(frozen=True, slots=True)
class AttributeValue:
    """One option of a single- or multi-value list."""

    key: str
    name: str


@dataclass(frozen=True, slots=True)
class Attribute:
    """One question of a service definition (a form field of the complaint category)."""

    code: str
    datatype: Datatype
    description: str
    order: int
    required: bool = False
    variable: bool = True  # False: shown to the user only, never answered
    datatype_description: str | None = None
    values: tuple[AttributeValue, ...] = ()


@dataclass(frozen=True, slots=True)
class Category:
    """A complaint category, as a service of the service list."""

    code: str
    name: str
    description: str | None = None
    group: str | None = None
    keywords: tuple[str, ...] = ()
    attributes: tuple[Attribute, ...] = ()


@dataclass(frozen=True, slots=True)
class Submission:
    """A complaint as a client sends it. ``division_code`` is the city (GB/T 2260) the
    location lies in, or the province's code when it is not known."""

    service_code: str
    division_code: str
    lat: float | None = None
    lon: float | None = None
    address_string: str | None = None
    address_id: str | None = None
    attributes: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)
    description: str | None = None
    media_url: str | None = None
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    device_id: str | None = None
    account_id: str | None = None
    idempotency_key: str | None = None  # a client's Idempotency-Key: a repeat files nothing
    # Our extension: the client confirms the point although the address names another city.
    location_confirmed: bool = False


@dataclass(frozen=True, slots=True)
class Filed:
    """A filed complaint: its id (or, for a batch service, a token), who handles it, by when,
    and the query code that lets the complainant follow it (None if it cannot be shown)."""

    service_request_id: str | None
    token: str | None = None
    account_id: str | None = None
    agency_responsible: str | None = None
    expected_datetime: dt.datetime | None = None
    query_code: str | None = None


@dataclass(frozen=True, slots=True)
class Complaint:
    """One complaint as a service request."""

    service_request_id: str
    status: Status
    service_code: str
    service_name: str
    requested_datetime: dt.datetime
    updated_datetime: dt.datetime
    division_code: str
    status_notes: str | None = None
    description: str | None = None
    agency_responsible: str | None = None
    service_notice: str | None = None
    expected_datetime: dt.datetime | None = None
    address: str | None = None
    address_id: str | None = None
    zipcode: str | None = None
    lat: float | None = None
    lon: float | None = None
    media_url: str | None = None


@dataclass(frozen=True, slots=True)
class ComplaintQuery:
    """A filtered list: complaints filed in ``[start, end]`` (inclusive), newest first.
    Empty sequences mean "any". ``division_code`` of a city keeps that city's complaints only;
    the province's code keeps all."""

    start: dt.datetime
    end: dt.datetime
    division_code: str
    service_codes: Sequence[str] = ()
    statuses: Sequence[Status] = ()
    limit: int = 1000
    offset: int = 0


class ComplaintDesk(Protocol):
    """The cases engine, as the Open311 layer sees it. Every method runs in the request's
    session; ``division_code`` limits answers to one city (or, as the province, to none)."""

    def categories(self, session: Session, *, division_code: str) -> list[Category]:
        """The complaint categories open to complaints in this city or province."""
        ...

    def category(self, session: Session, *, code: str, division_code: str) -> Category | None:
        """The category with this code, or None if there is none here."""
        ...

    def file(self, session: Session, *, actor: Actor, submission: Submission) -> Filed:
        """File a complaint; raise an ``AppError`` the caller can act on if it is refused."""
        ...

    def by_ids(
        self, session: Session, *, ids: Sequence[str], division_code: str
    ) -> list[Complaint]:
        """The complaints with these ids (ids found nowhere are left out), in the order asked."""
        ...

    def search(self, session: Session, *, query: ComplaintQuery) -> list[Complaint]:
        """The complaints that match ``query``."""
        ...

    def resolve_token(self, session: Session, *, token: str, division_code: str) -> str | None:
        """The request id a token stands for, or None if the token is unknown."""
        ...

    def changed_at(self, session: Session) -> dt.datetime | None:
        """When the service list or a service definition last changed (Service Discovery's
        ``changeset``), or None if there are no services."""
        ...
