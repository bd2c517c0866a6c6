"""Ports: what one engine offers another through the core, so that neither imports the other.

- **Filing checks** (:func:`register_filing_check`). When an application is filed, every check
  is asked about the applicant and the item, in the order registered, inside the filing's
  transaction. A check answers :data:`OK`, :func:`flag` (the case is filed; the reason is
  kept on it for the staff) or :func:`block` (the filing is refused with the reason, in the
  applicant's language, and nothing is stored). The credit engine's 失信联合惩戒 check is
  one.
- **Material providers** (:func:`register_material_provider`). When an application is filed,
  each material of the item that the applicant did not upload is asked of the providers, in the
  order registered; the first to offer a document has it filed in place of an upload (免提交:
  an e-licence the certs engine holds). The document is checked and kept like any upload.
- **The case-item directory** (:func:`offer_case_items`). The cases engine says which service
  items exist, so that an engine asking for cases (a sensing rule's action) can check an item
  code when it is declared rather than when the first case is due.

A check or provider that raises fails the filing (its transaction rolls back): a check that
could not run must not let a filing through that it would have refused.

What a decision means to other engines travels as the event ``case.decided``
(:class:`yiwang.core.contracts.messages.CaseDecided`), durably, not through a port.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from sqlalchemy.orm import Session

from yiwang.core.errors import AppError
from yiwang.core.i18n import ZH, translate


@dataclass(frozen=True, slots=True)
class Applicant:
    """Who applies: ``type`` citizen or enterprise, ``id_number`` the resident ID or USCC as
    checked and normalised at filing (personal data)."""

    type: str
    id_number: str
    name: str


@dataclass(frozen=True, slots=True)
class CaseItem:
    """A service item as other engines see it. ``kind`` is service (applications),
    complaint_category or task (处置事项: cases other engines ask for); ``state`` active or
    retired; ``power_category`` its power's category (licensing, penalty, ...), if any."""

    code: str
    kind: str
    name: str
    department_id: int
    state: str
    power_category: str | None = None


# --- filing checks -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Filing:
    """What a filing check is asked about."""

    item: CaseItem
    applicant: Applicant


@dataclass(frozen=True, slots=True)
class Verdict:
    """A check's answer; ``code`` and ``params`` name a message of :mod:`yiwang.core.i18n`
    (registered by the check's engine) that says why."""

    outcome: Literal["ok", "flag", "block"]
    code: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)


OK = Verdict("ok")


def flag(code: str, **params: Any) -> Verdict:
    """File the case, and keep the reason on it for the staff who handle it."""
    return Verdict("flag", code, params)


def block(code: str, **params: Any) -> Verdict:
    """Refuse the filing, telling the applicant why."""
    return Verdict("block", code, params)


@dataclass(frozen=True, slots=True)
class Flag:
    """A reason a check noted on a filed case."""

    check: str
    code: str
    params: Mapping[str, Any]

    def message(self, language: str = ZH) -> str:
        return translate(self.code, language, self.params)

    def as_dict(self) -> dict[str, Any]:
        """As kept with the case: the check, the message code and parameters, and the message
        in Chinese."""
        return {
            "check": self.check,
            "code": self.code,
            "params": dict(self.params),
            "message": self.message(ZH),
        }


class FilingBlocked(AppError):
    """A filing check refused the filing; the message is the check's own."""

    status_code = 422

    def __init__(self, check: str, code: str, params: Mapping[str, Any]) -> None:
        super().__init__(code, details={"check": check}, **params)
        self.check = check


FilingCheck = Callable[[Session, Filing], Verdict]

_checks: dict[str, FilingCheck] = {}


def register_filing_check(name: str, check: FilingCheck) -> None:
    """Ask ``check`` about every application filed from now on."""
    if name in _checks:
        raise ValueError(f"filing check registered twice: {name}")
    _checks[name] = check


def run_filing_checks(session: Session, filing: Filing) -> list[Flag]:
    """Ask every check about ``filing``; return the flags, or raise :class:`FilingBlocked` at
    the first check that blocks it."""
    flags: list[Flag] = []
    for name, check in list(_checks.items()):
        verdict = check(session, filing)
        if verdict.outcome == "ok" or verdict.code is None:
            continue
        if verdict.outcome == "block":
            raise FilingBlocked(name, verdict.code, verdict.params)
        flags.append(Flag(name, verdict.code, verdict.params))
    return flags


# --- material providers --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MaterialWanted:
    """A material of the item that the applicant did not upload."""

    item: CaseItem
    key: str
    name: str
    types: tuple[str, ...]
    applicant: Applicant


@dataclass(frozen=True, slots=True)
class ProvidedDocument:
    """A document offered in place of an upload: its file, and the provider's reference to it
    (a licence number). ``provider`` is filled in with the provider's registered name."""

    filename: str
    content: bytes
    reference: str
    provider: str = ""

    @property
    def source(self) -> str:
        """``<provider>:<reference>``, as kept with the material."""
        return f"{self.provider}:{self.reference}"[:200]


MaterialProvider = Callable[[Session, MaterialWanted], ProvidedDocument | None]

_providers: dict[str, MaterialProvider] = {}


def register_material_provider(name: str, provider: MaterialProvider) -> None:
    """Ask ``provider`` for the materials applicants do not upload, from now on."""
    if name in _providers:
        raise ValueError(f"material provider registered twice: {name}")
    _providers[name] = provider


def provide_material(session: Session, wanted: MaterialWanted) -> ProvidedDocument | None:
    """The first document a provider offers for ``wanted``, or None."""
    for name, provider in list(_providers.items()):
        document = provider(session, wanted)
        if document is not None:
            return replace(document, provider=name)
    return None


def has_material_providers() -> bool:
    return bool(_providers)


# --- the case-item directory ---------------------------------------------------------------------

CaseItemLookup = Callable[[Session, str], CaseItem | None]

_case_items: list[CaseItemLookup] = []


def offer_case_items(lookup: CaseItemLookup) -> None:
    """The cases engine: answer :func:`find_case_item` with ``lookup``."""
    if _case_items and _case_items[0] is not lookup:
        raise ValueError("case items offered twice")
    _case_items[:] = [lookup]


def case_items_offered() -> bool:
    """Whether an engine in this process answers for service items (the cases engine)."""
    return bool(_case_items)


def find_case_item(session: Session, code: str) -> CaseItem | None:
    """The service item with this code, or None when there is none (or no engine of this
    process keeps service items: see :func:`case_items_offered`)."""
    return _case_items[0](session, code) if _case_items else None


def unregister(name: str) -> None:
    """Forget the filing check or material provider registered as ``name`` (for tests)."""
    _checks.pop(name, None)
    _providers.pop(name, None)


__all__ = [
    "OK",
    "Applicant",
    "CaseItem",
    "CaseItemLookup",
    "Filing",
    "FilingBlocked",
    "FilingCheck",
    "Flag",
    "MaterialProvider",
    "MaterialWanted",
    "ProvidedDocument",
    "Verdict",
    "block",
    "case_items_offered",
    "find_case_item",
    "flag",
    "has_material_providers",
    "offer_case_items",
    "provide_material",
    "register_filing_check",
    "register_material_provider",
    "run_filing_checks",
    "unregister",
]
