"""Messages engines send each other: event names, typed payloads and their versions.

Engines of one layer never import each other (the import contracts in ``pyproject.toml`` hold
it), so what one tells another is a message defined here, below them both. A sender calls
:func:`publish` in its own transaction: the message goes to the outbox and exists if and only
if the change it announces was committed. A receiver registers a durable handler with
:func:`subscribe` and gets the message parsed and checked, at least once (so handlers are
idempotent: each message says what to key on).

**Versions.** Every payload carries ``version``. Adding a field with a default keeps the
version (older payloads still parse); any other change raises it. A handler that meets a version
newer than it knows refuses the delivery (:class:`UnknownVersion`), which the outbox retries:
during a rolling upgrade a node that is not upgraded yet leaves the message to one that is.

The messages, by name:

- ``case.requested`` (:class:`CaseRequested`): an engine asks the cases engine to open a case;
- ``case.opened`` (:class:`CaseOpened`) and ``case.request_failed``
  (:class:`CaseRequestFailed`): the answer, naming the request by its ``source_ref``;
- ``case.note_requested`` (:class:`CaseNoteRequested`): write a line on the timeline of the
  case opened for ``source_ref`` (what became of its source);
- ``case.decided`` (:class:`CaseDecided`): a case was decided, with what credit records and
  certificates are issued from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from yiwang.core import events
from yiwang.core.events import Event, OutboxEvent
from yiwang.core.events.service import DurableHandler


class UnknownVersion(RuntimeError):
    """A message of a version this process does not know yet; its delivery is retried."""


class Message(BaseModel):
    """A message between engines: ``NAME`` is its event name, ``VERSION`` its version."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    NAME: ClassVar[str]
    VERSION: ClassVar[int] = 1

    def payload(self) -> dict[str, Any]:
        """The event payload: the fields as JSON, and the version."""
        return {**self.model_dump(mode="json"), "version": self.VERSION}

    @classmethod
    def from_event(cls, event: Event) -> Self:
        """Parse the message out of an event; raise :class:`UnknownVersion` for a newer one."""
        version = int(event.payload.get("version", 1))
        if version > cls.VERSION:
            raise UnknownVersion(
                f"{event.name} version {version}; this process knows {cls.VERSION}"
            )
        return cls.model_validate(event.payload)


M = TypeVar("M", bound=Message)


def publish(
    session: Session, message: Message, *, extra: Mapping[str, Any] | None = None
) -> OutboxEvent:
    """Write ``message`` to the outbox in the caller's transaction. ``extra`` keys go beside
    the message's own (for an event that also keeps an older, untyped shape)."""
    return events.publish(session, message.NAME, {**(extra or {}), **message.payload()})


def subscribe(message: type[M], name: str, handler: Callable[[Session, M], None]) -> DurableHandler:
    """Call ``handler`` with each ``message`` from the outbox, parsed, in the delivering
    transaction (it commits with the delivery). Return the registered durable handler, which
    :func:`yiwang.core.events.unsubscribe` takes."""

    def deliver(session: Session, event: Event) -> None:
        handler(session, message.from_event(event))

    events.subscribe(message.NAME, name, deliver)
    return deliver


# --- asking for cases ----------------------------------------------------------------------------

_REQUESTER = Field(
    min_length=1, max_length=16, pattern=r"^[a-z][a-z0-9_]*$", description="the asking engine"
)
_SOURCE_REF = Field(
    min_length=3,
    max_length=100,
    description="what the case is about, in the asking engine: <engine>.<kind>:<id>",
    examples=["sensing.alert:123"],
)


class CaseRequested(Message):
    """Open a case of the service item ``item_code`` (of kind ``task``) for a department.

    One case per ``idempotency_key`` and requester, however often the message comes. The
    department is the requester's to find (it knows the thing or person the case is about);
    ``department_id`` None, or a department that no longer exists, sends the case to the item's
    own department, with ``department_note`` saying why on the case."""

    NAME: ClassVar[str] = "case.requested"

    requester: str = _REQUESTER
    source_ref: str = _SOURCE_REF
    idempotency_key: str = Field(min_length=1, max_length=200)
    item_code: str = Field(min_length=1, max_length=64)
    department_id: int | None = None
    department_note: str | None = Field(default=None, max_length=2000)
    division_code: str | None = Field(default=None, pattern=r"^\d{6}$")
    title: str = Field(min_length=1, max_length=300)
    description: str = Field(min_length=1, max_length=10000)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    address: str | None = Field(default=None, max_length=500)
    details: dict[str, Any] = Field(
        default_factory=dict, description="kept with the case as it came (ids, values)"
    )


class CaseOpened(Message):
    """The case asked for by ``source_ref`` is open (sent once, when it is created)."""

    NAME: ClassVar[str] = "case.opened"

    requester: str = _REQUESTER
    source_ref: str = _SOURCE_REF
    number: str
    item_code: str
    department_id: int


class CaseRequestFailed(Message):
    """No case could be opened for ``source_ref``: ``code`` and ``params`` say why (a message
    code of :mod:`yiwang.core.i18n`), ``message`` says it in Chinese."""

    NAME: ClassVar[str] = "case.request_failed"

    requester: str = _REQUESTER
    source_ref: str = _SOURCE_REF
    item_code: str
    code: str
    params: dict[str, Any] = Field(default_factory=dict)
    message: str


class CaseNoteRequested(Message):
    """Write ``text`` on the timeline of the case opened for ``source_ref`` (what became of
    its source: an alert resolved). The case's state does not change: its staff decide."""

    NAME: ClassVar[str] = "case.note_requested"

    requester: str = _REQUESTER
    source_ref: str = _SOURCE_REF
    text: str = Field(min_length=1, max_length=2000)
    details: dict[str, Any] = Field(default_factory=dict)


# --- decisions -----------------------------------------------------------------------------------


class DecidedApplicant(BaseModel):
    """Who a decision is about: an application's applicant (identity checked at filing)."""

    model_config = ConfigDict(frozen=True)

    type: str | None = Field(description="citizen or enterprise")
    name: str | None
    id_number: str | None = Field(description="resident ID or USCC; personal data")


class CaseDecided(Message):
    """A case was decided (办结). What credit records (a 行政处罚 decision: ``power_category``
    penalty) and what certificates are issued (an approved 行政许可) are made from."""

    NAME: ClassVar[str] = "case.decided"

    number: str
    kind: str = Field(description="application, complaint or task")
    item_code: str
    item_name: str
    power_category: str | None = Field(description="the item's power (vocab.PowerCategory)")
    department_id: int
    division_code: str
    decision: str = Field(description="approved, denied, resolved or unsubstantiated")
    document_number: str | None = Field(description="文书编号 of the decision")
    decided_at: dt.datetime
    applicant: DecidedApplicant | None = Field(description="None for complaints and tasks")
    source_ref: str | None = Field(default=None, description="for a case another engine asked")


__all__ = [
    "CaseDecided",
    "CaseNoteRequested",
    "CaseOpened",
    "CaseRequestFailed",
    "CaseRequested",
    "DecidedApplicant",
    "Message",
    "UnknownVersion",
    "publish",
    "subscribe",
]
