"""Who may see a case, and finding one: the applicant (signed in, or holding the query code
shown once when the case was filed, kept only as an SM3 digest) and the staff who handle it.

A case the actor may not see does not exist for them (:class:`NotFound`); wrong query codes
are guesses, throttled by address."""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwang.cases.models import Case, Task
from yiwang.cases.queries import find_case
from yiwang.core.errors import NotFound
from yiwang.core.identity import throttle
from yiwang.core.policy import Actor, can_handle_case, can_view_case
from yiwang.core.requestctx import current_client_address

# --- query codes ---------------------------------------------------------------------------------


def code_digest(number: str, code: str) -> str:
    """The stored form of a query code: SM3 over the case number and the code."""
    return hashlib.new("sm3", f"{number}\n{code.strip().upper()}".encode()).hexdigest()


# --- who is asking -------------------------------------------------------------------------------


def step_departments(session: Session, case: Case) -> frozenset[int]:
    return frozenset(session.scalars(select(Task.department_id).where(Task.case_id == case.id)))


def is_applicant(case: Case, actor: Actor, query_code: str | None) -> bool:
    """Whether the actor is the case's applicant: the signed-in user who filed it, or whoever
    holds its query code."""
    if actor.user_id is not None and case.applicant_user_id == actor.user_id:
        return True
    if not query_code:
        return False
    return hmac.compare_digest(code_digest(case.number, query_code), case.query_code_digest)


def handles(session: Session, case: Case, actor: Actor) -> bool:
    """Whether the actor is staff handling the case (and so sees it unmasked)."""
    return can_handle_case(
        actor,
        department_id=case.department_id,
        step_department_ids=step_departments(session, case),
    )


def handles_new(case: Case, actor: Actor) -> bool:
    """:func:`handles` for a case just filed, which has no review tasks yet."""
    return can_handle_case(actor, department_id=case.department_id, step_department_ids=frozenset())


def get_case(session: Session, *, actor: Actor, number: str, query_code: str | None = None) -> Case:
    """Return the case if ``actor`` is its applicant (signed in, or with the query code) or
    handles it; a case the actor may not see does not exist for them. Wrong query codes are
    guesses: from one address, past a number of them, each further try waits longer (429)."""
    guessing = bool(query_code) and actor.is_anonymous
    limits = throttle.configured()
    keys = [throttle.address(current_client_address(), limits, kind="code")]
    if guessing:
        throttle.check(session, keys)
    case = find_case(session, number=number)
    if case is None or not can_view_case(
        actor,
        department_id=case.department_id,
        step_department_ids=step_departments(session, case),
        is_applicant=is_applicant(case, actor, query_code),
    ):
        if guessing:
            throttle.failed(
                session, keys, limits=limits, ip=current_client_address(), what="query_code"
            )
        raise NotFound("case", number)
    return case


__all__ = [
    "code_digest",
    "get_case",
    "handles",
    "handles_new",
    "is_applicant",
    "step_departments",
]
