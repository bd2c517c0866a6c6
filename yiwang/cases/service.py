"""Cases: filing applications and complaints, finding them, and moving them through the state
machine of :mod:`yiwang.cases.vocab`, with deadlines, materials, review tasks and ratings.

Every function takes the acting :class:`Actor` and asks the policy first. A case is found by
its number; an applicant who is not signed in proves who they are with the query code (查询码)
shown once when the case was filed, and kept only as an SM3 digest.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import io
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ColumnElement,
    false,
    func,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import yiwang.cases.messages  # noqa: F401  (registers the engine's messages)
from yiwang.cases import deadlines, materials
from yiwang.cases.auditing import record_at_commit
from yiwang.cases.items import FilingTarget, filing_target
from yiwang.cases.materials import StoredFile, Upload
from yiwang.cases.models import (
    Case,
    ItemVersion,
    Material,
    ServiceItem,
    Task,
    Transition,
)
from yiwang.cases.numbers import next_number, raise_counters
from yiwang.cases.schemas import ApplicationCreate, ComplaintCreate
from yiwang.cases.vocab import (
    FINAL_STATES,
    ApplicantType,
    CaseKind,
    ItemKind,
    State,
    local_date,
)
from yiwang.core import contracts, events, identity
from yiwang.core.codes import division_name, normalize_ric, normalize_uscc
from yiwang.core.config import Settings
from yiwang.core.db import utcnow
from yiwang.core.errors import InvalidInput, NotFound
from yiwang.core.identity import throttle
from yiwang.core.policy import (
    SYSTEM,
    Actor,
    can_file_case,
    can_handle_case,
    can_view_case,
    require,
)
from yiwang.core.requestctx import current_client_address

_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read over the phone
CODE_LENGTH = 8


@dataclass(frozen=True, slots=True)
class Filed:
    """A filed case, the query code to show the applicant (None when it cannot be shown
    again) and whether this call created it (False: an idempotent repeat). A case this call
    created comes with what was written beside it (``target``, ``materials``,
    ``transitions``), so that it can be shown without reading it back."""

    case: Case
    query_code: str | None
    created: bool
    target: FilingTarget | None = None
    materials: tuple[Material, ...] = ()
    transitions: tuple[Transition, ...] = ()


@dataclass(frozen=True, slots=True)
class Storage:
    """Where materials go and how big one may be (from the settings)."""

    root: Path
    max_bytes: int

    @classmethod
    def of(cls, settings: Settings) -> Storage:
        return cls(root=Path(settings.var_dir), max_bytes=settings.max_upload_bytes)


def code_secret(settings: Settings) -> bytes:
    """The key query codes derived from an idempotency key are made with."""
    return settings.secret().encode()


# --- secrets -------------------------------------------------------------------------------------


def code_digest(number: str, code: str) -> str:
    """The stored form of a query code: SM3 over the case number and the code."""
    return hashlib.new("sm3", f"{number}\n{code.strip().upper()}".encode()).hexdigest()


def _random_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _derived_code(secret: bytes, key_digest: str) -> str:
    """A query code derived from the idempotency key under the site's secret, so that a
    repeated submission can show the same code again without it ever being stored."""
    raw = hmac.new(secret, f"query-code\n{key_digest}".encode(), "sm3").digest()
    return "".join(_CODE_ALPHABET[b % len(_CODE_ALPHABET)] for b in raw[:CODE_LENGTH])


def _key_digest(kind: str, scope: str, key: str) -> str:
    return hashlib.new("sm3", f"{kind}\n{scope}\n{key}".encode()).hexdigest()


def _check_key(key: str | None) -> str | None:
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > 200:
        raise InvalidInput("cases.bad_idempotency_key")
    return key


# --- numbers -------------------------------------------------------------------------------------


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


def find_case(session: Session, *, number: str) -> Case | None:
    """The case with this number, with no check of who asks: for public views (Open311) that
    show only what is public about it."""
    return session.scalars(select(Case).where(Case.number == number)).first()


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


# --- filing --------------------------------------------------------------------------------------


def _validate_applicant(kind: ApplicantType, id_number: str, allowed: Sequence[str]) -> str:
    if kind not in allowed:
        raise InvalidInput("cases.applicant_type", type=kind.value)
    if kind is ApplicantType.CITIZEN:
        return normalize_ric(id_number)
    return normalize_uscc(id_number)


def _validate_form(  # noqa: PLR0912  (one branch per field type)
    fields: Sequence[Mapping[str, Any]], form: Mapping[str, Any]
) -> dict[str, Any]:
    """Check the form against the item's fields; return the cleaned values."""
    known = {f["key"]: f for f in fields}
    for key in form:
        if key not in known:
            raise InvalidInput("cases.unknown_form_field", field=key)
    cleaned: dict[str, Any] = {}
    for spec in fields:
        key, label = spec["key"], spec["label"]
        value = form.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if spec.get("required"):
                raise InvalidInput("cases.form_field_required", field=label)
            continue
        kind = spec.get("type", "text")
        if kind == "number":
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise InvalidInput("cases.form_field_invalid", field=label, value=value) from None
        elif kind == "date":
            try:
                value = dt.date.fromisoformat(str(value)).isoformat()
            except ValueError:
                raise InvalidInput("cases.form_field_invalid", field=label, value=value) from None
        elif kind == "boolean":
            if not isinstance(value, bool) and str(value).lower() not in ("true", "false"):
                raise InvalidInput("cases.form_field_invalid", field=label, value=value)
            value = value if isinstance(value, bool) else str(value).lower() == "true"
        else:
            value = str(value).strip()
            if len(value) > int(spec.get("max_length", 500)):
                raise InvalidInput("cases.form_field_invalid", field=label, value=value[:50])
            if kind == "select" and value not in spec.get("options", []):
                raise InvalidInput("cases.form_field_invalid", field=label, value=value)
        cleaned[key] = value
    return cleaned


def store_materials(
    session: Session,
    version: ItemVersion,
    uploads: Sequence[Upload],
    storage: Storage,
    *,
    require_mandatory: bool,
    offered_to: tuple[contracts.CaseItem, contracts.Applicant] | None = None,
) -> list[StoredFile]:
    """Check and keep the uploads against the item's materials. With ``offered_to`` (the item
    and the applicant of a filing), each material not uploaded is first asked of the material
    providers (:func:`yiwang.core.contracts.provide_material`); a document offered is checked
    and kept like an upload, noting who provided it."""
    specs = {m["key"]: m for m in version.materials}
    for upload in uploads:
        if upload.key not in specs:
            raise InvalidInput("cases.unknown_material", key=upload.key)
    provided: dict[str, str] = {}
    if offered_to is not None:
        uploads = [*uploads, *_provided_uploads(session, version, uploads, offered_to, provided)]
    given = {u.key for u in uploads}
    if require_mandatory:
        for spec in version.materials:
            if spec.get("mandatory", True) and spec["key"] not in given:
                raise InvalidInput("cases.material_missing", material=spec["name"])
    stored = []
    for upload in uploads:
        spec = specs[upload.key]
        limits = [storage.max_bytes, version.max_material_bytes, spec.get("max_bytes")]
        kept = materials.store(
            session,
            upload,
            root=storage.root,
            max_bytes=min(int(n) for n in limits if n),
            accepted=spec.get("types") or ["pdf", "jpeg", "png", "ofd"],
            material_name=spec["name"],
        )
        if upload.key in provided:
            kept = dataclasses.replace(kept, provided_by=provided[upload.key])
        stored.append(kept)
    return stored


def _provided_uploads(
    session: Session,
    version: ItemVersion,
    uploads: Sequence[Upload],
    offered_to: tuple[contracts.CaseItem, contracts.Applicant],
    provided: dict[str, str],
) -> list[Upload]:
    """Uploads made of the documents providers offer for the materials not uploaded; fill
    ``provided`` with who provided each (by material key)."""
    if not contracts.has_material_providers():
        return []
    item, applicant = offered_to
    given = {u.key for u in uploads}
    result = []
    for spec in version.materials:
        if spec["key"] in given:
            continue
        wanted = contracts.MaterialWanted(
            item=item,
            key=spec["key"],
            name=spec["name"],
            types=tuple(spec.get("types") or ()),
            applicant=applicant,
        )
        document = contracts.provide_material(session, wanted)
        if document is not None:
            provided[spec["key"]] = document.source
            result.append(Upload(spec["key"], document.filename, io.BytesIO(document.content)))
    return result


def attach(
    session: Session, case: Case, stored: Sequence[StoredFile], purpose: str
) -> list[Material]:
    rows = [
        Material(
            case_id=case.id,
            key=f.key,
            purpose=purpose,
            filename=f.filename,
            file_type=f.file_type,
            size=f.size,
            digest=f.digest,
            provided_by=f.provided_by,
        )
        for f in stored
    ]
    session.add_all(rows)
    return rows


def _existing(session: Session, key_digest: str | None) -> Case | None:
    if key_digest is None:
        return None
    return session.scalars(select(Case).where(Case.idempotency_key == key_digest)).first()


def _insert_case(session: Session, case: Case, key_digest: str | None) -> Case | None:
    """Insert the case; with an idempotency key, in a savepoint, so that a concurrent twin
    with the same key is answered with the case that won (returned here)."""
    if key_digest is None:
        session.add(case)
        session.flush()
        return None
    try:
        with session.begin_nested():
            session.add(case)
            session.flush()
    except IntegrityError:
        twin = _existing(session, key_digest)
        if twin is None:
            raise
        return twin
    return None


def _open_case(
    session: Session,
    *,
    actor: Actor,
    target: FilingTarget,
    kind: CaseKind,
    department_id: int,
    division_code: str,
    key_digest: str | None,
    code_secret: bytes | None,
    now: dt.datetime | None,
    values: dict[str, Any],
    stored: Sequence[StoredFile] = (),
    submitted: _Submitted | None = None,
) -> Filed:
    """Insert the case with its deadlines, materials, first transition and event; its audit
    entry is appended when the transaction commits (see :mod:`yiwang.cases.auditing`).
    ``submitted`` says who submitted it and what to note on its first transition, when that
    is not simply the actor as applicant."""
    submitted = submitted or _Submitted()
    version = target.version
    now = now or utcnow()
    today = local_date(now)
    cal = deadlines.work_calendar(session)
    legal_due, due = deadlines.due_dates(
        cal,
        today,
        legal_days=version.legal_limit_days,
        promised_days=version.promised_limit_days,
    )
    code = (
        _derived_code(code_secret, key_digest)
        if code_secret is not None and key_digest is not None
        else _random_code()
    )
    number = next_number(session, division_code=division_code, day=today)
    case = Case(
        number=number,
        kind=kind,
        item_id=target.id,
        item_version_id=version.id,
        department_id=department_id,
        division_code=division_code,
        state=State.SUBMITTED,
        is_open=True,
        query_code_digest=code_digest(number, code),
        idempotency_key=key_digest,
        submitted_at=now,
        submitted_on=today,
        updated_at=now,
        legal_due_on=legal_due,
        due_on=due,
        warn_days=version.warn_days,
        paused_workdays=0,
        next_card_on=deadlines.next_card_on(
            cal, due_on=due, card=None, warn_days=version.warn_days
        ),
        trips=version.trips,
        trips_offline=version.trips_offline,
        applicant_user_id=actor.user_id,
        **values,
    )
    case.deadline_provisional = deadlines.is_provisional(cal, case)
    twin = _insert_case(session, case, key_digest)
    if twin is not None:
        return Filed(twin, code if code_secret is not None else None, created=False)
    first = Transition(
        case_id=case.id,
        action="submit",
        from_state=None,
        to_state=State.SUBMITTED,
        party=submitted.party,
        actor_id=actor.user_id,
        actor_name=submitted.by or actor.label(),
        department_id=actor.department_id,
        reason=submitted.reason,
        details={"version": version.number, **submitted.details},
        at=now,
    )
    session.add(first)
    rows = attach(session, case, stored, "application") if stored else []
    # publish() flushes, so the transition, the materials and the event go in one flush.
    events.publish(
        session,
        "case.submitted",
        {
            "number": number,
            "kind": kind.value,
            "item": target.code,
            "department_id": department_id,
            "division_code": division_code,
            "source_ref": case.source_ref,
        },
    )
    record_at_commit(
        session,
        subject=case,
        actor=actor,
        action="case.submit",
        object_type="case",
        object_id=number,
        details={"kind": kind.value, "item": target.code, "department_id": department_id}
        | submitted.details
        | ({"note": submitted.reason} if submitted.reason else {}),
    )
    return Filed(
        case, code, created=True, target=target, materials=tuple(rows), transitions=(first,)
    )


@dataclass(frozen=True, slots=True)
class _Submitted:
    """Who submitted a case (the applicant, or an engine for a department) and what its first
    transition notes beside the item's version: the filing checks' flags, where a requested
    case came from, why it went to the department it did."""

    party: str = "applicant"
    by: str | None = None
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def submit_application(
    session: Session,
    *,
    actor: Actor,
    data: ApplicationCreate,
    uploads: Sequence[Upload] = (),
    storage: Storage,
    idempotency_key: str | None = None,
    code_secret: bytes | None = None,
    source: str = "api",
    now: dt.datetime | None = None,
) -> Filed:
    """File an application for a service item: check the applicant's identity number, the
    form and the materials (kept under ``storage``), number the case and count its deadlines.

    With an ``idempotency_key``, a repeat by the same applicant returns the case already filed
    (``created`` False); with ``code_secret`` its query code can be shown again."""
    require(can_file_case(actor), "case.submit", object_type="case")
    key = _check_key(idempotency_key)
    target = filing_target(session, code=data.item_code)
    if target.kind != ItemKind.SERVICE or target.state != "active":
        raise InvalidInput("cases.not_a_service", value=data.item_code)
    version = target.version
    id_number = _validate_applicant(
        data.applicant.type, data.applicant.id_number, version.applicant_types
    )
    key_digest = _key_digest("application", id_number, key) if key else None
    twin = _existing(session, key_digest)
    if twin is not None:
        code = _derived_code(code_secret, twin.idempotency_key or "") if code_secret else None
        return Filed(twin, code, created=False)
    form = _validate_form(version.form_fields, data.form)
    if data.delivery_method and data.delivery_method not in version.delivery_methods:
        raise InvalidInput("cases.delivery_method", method=data.delivery_method)
    applicant = contracts.Applicant(
        type=data.applicant.type.value, id_number=id_number, name=data.applicant.name.strip()
    )
    item = target.as_contract()
    flags = contracts.run_filing_checks(session, contracts.Filing(item=item, applicant=applicant))
    stored = store_materials(
        session,
        version,
        uploads,
        storage,
        require_mandatory=True,
        offered_to=(item, applicant),
    )
    return _open_case(
        session,
        actor=actor,
        target=target,
        kind=CaseKind.APPLICATION,
        department_id=target.department_id,
        division_code=target.division_code,
        key_digest=key_digest,
        code_secret=code_secret,
        now=now,
        values={
            "source": source,
            "applicant_type": data.applicant.type.value,
            "applicant_name": data.applicant.name.strip(),
            "applicant_id_number": id_number,
            "applicant_phone": data.applicant.phone,
            "applicant_email": data.applicant.email,
            "form_data": form,
            "extra": {},
            "delivery_method": data.delivery_method,
        },
        stored=stored,
        submitted=_Submitted(details={"flags": [f.as_dict() for f in flags]} if flags else {}),
    )


def route_complaint(
    session: Session, version: ItemVersion, item: ServiceItem | FilingTarget, division: str
) -> int:
    """The department a complaint goes to: the category's routing for the division (or its
    city), else the routing's default, else the category's own department."""
    routing = version.routing or {}
    city = division[:4] + "00"
    slug = routing.get(division) or routing.get(city) or routing.get("default")
    if slug:
        return identity.find_department(session, slug).id
    return item.department_id


def file_complaint(
    session: Session,
    *,
    actor: Actor,
    data: ComplaintCreate,
    idempotency_key: str | None = None,
    code_secret: bytes | None = None,
    source: str = "api",
    extra: Mapping[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> Filed:
    """File a complaint (a case of kind "complaint") against a complaint category, routed to
    the responsible department by category and by ``data.division_code`` (the city containing
    the point, which the caller determines). ``extra`` keeps what a standard API carries
    beside (Open311 ``device_id``, ``account_id``, ...)."""
    require(can_file_case(actor), "case.submit", object_type="case")
    key = _check_key(idempotency_key)
    if division_name(data.division_code) is None:
        raise InvalidInput("codes.division_invalid", value=data.division_code)
    target = filing_target(session, code=data.category_code)
    if target.kind != ItemKind.COMPLAINT_CATEGORY or target.state != "active":
        raise InvalidInput("cases.not_a_category", value=data.category_code)
    version = target.version
    scope = f"user:{actor.user_id}" if actor.user_id is not None else "public"
    key_digest = _key_digest("complaint", scope, key) if key else None
    twin = _existing(session, key_digest)
    if twin is not None:
        code = _derived_code(code_secret, twin.idempotency_key or "") if code_secret else None
        return Filed(twin, code, created=False)
    form = _validate_form(version.form_fields, data.attributes)
    contact = data.contact
    return _open_case(
        session,
        actor=actor,
        target=target,
        kind=CaseKind.COMPLAINT,
        department_id=route_complaint(session, version, target, data.division_code),
        division_code=data.division_code,
        key_digest=key_digest,
        code_secret=code_secret,
        now=now,
        values={
            "source": source,
            "applicant_name": contact.name if contact else None,
            "applicant_phone": contact.phone if contact else None,
            "applicant_email": contact.email if contact else None,
            "form_data": form,
            "extra": dict(extra or {}),
            "latitude": data.latitude,
            "longitude": data.longitude,
            "address": data.address,
            "description": data.description,
            "media_url": data.media_url,
        },
    )


def file_request(
    session: Session, *, request: contracts.CaseRequested, now: dt.datetime | None = None
) -> Filed:
    """Open the case another engine asks for: a case of kind task against a task item (处置事
    项), once per requester and idempotency key (a repeat returns the case already opened,
    ``created`` False). It goes to the department the request names, else to the item's, with
    the reason noted on its first transition; the system files it in the requester's name.
    Raise :class:`InvalidInput` when the item is unknown, retired or not a task item."""
    key_digest = _key_digest("request", request.requester, request.idempotency_key)
    twin = _existing(session, key_digest)
    if twin is not None:
        return Filed(twin, None, created=False)
    try:
        target = filing_target(session, code=request.item_code)
    except NotFound:
        target = None
    if target is None or target.kind != ItemKind.TASK or target.state != "active":
        raise InvalidInput("cases.not_a_task", value=request.item_code)
    department_id, division_code, note = target.department_id, target.division_code, None
    if request.department_id is not None:
        department = session.get(identity.Department, request.department_id)
        if department is not None:
            department_id, division_code = department.id, department.division_code
        else:
            note = f"请求指定的部门（编号 {request.department_id}）不存在，已交事项所属部门办理。"
    if request.division_code and division_name(request.division_code) is not None:
        division_code = request.division_code
    return _open_case(
        session,
        actor=SYSTEM,
        target=target,
        kind=CaseKind.TASK,
        department_id=department_id,
        division_code=division_code,
        key_digest=key_digest,
        code_secret=None,
        now=now,
        values={
            "source": request.requester,
            "source_ref": request.source_ref,
            "form_data": {},
            "extra": {"title": request.title, "details": request.details},
            "latitude": request.latitude,
            "longitude": request.longitude,
            "address": request.address,
            "description": request.description,
        },
        submitted=_Submitted(
            party="system",
            by=request.requester,
            reason="；".join(n for n in (request.department_note, note) if n) or None,
            details={"source_ref": request.source_ref},
        ),
    )


# --- listing -------------------------------------------------------------------------------------


@dataclass
class CaseFilters:
    """Filters of :func:`list_cases`; every one optional. ``status`` is "open" or "closed"."""

    kind: str | None = None
    status: str | None = None
    states: Sequence[str] = ()
    item_codes: Sequence[str] = ()
    numbers: Sequence[str] = ()
    ids: Sequence[int] = ()
    department_id: int | None = None
    division_code: str | None = None
    submitted_from: dt.datetime | None = None
    submitted_before: dt.datetime | None = None
    card: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def visible_cases(actor: Actor) -> ColumnElement[bool]:
    """The SQL form of who may list which cases: sysadmins all, department staff their
    department's (task departments see theirs through the task list), a signed-in user the
    cases they filed, the public none but complaints (whose public part anyone may see)."""
    if actor.is_sysadmin:
        return true()
    conditions: list[ColumnElement[bool]] = []
    if actor.department_id is not None and actor.role is not None:
        conditions.append(Case.department_id == actor.department_id)
        conditions.append(
            Case.id.in_(select(Task.case_id).where(Task.department_id == actor.department_id))
        )
    if actor.user_id is not None:
        conditions.append(Case.applicant_user_id == actor.user_id)
    return or_(*conditions) if conditions else false()


def list_cases(  # noqa: PLR0912  (one branch per optional filter)
    session: Session,
    *,
    actor: Actor,
    filters: CaseFilters,
    public: bool = False,
    limit: int = 50,
    offset: int = 0,
    count: bool = True,
) -> tuple[list[Case], int | None]:
    """Cases matching ``filters``, newest first, with the total (unless ``count`` is False).

    ``public=True`` lists complaints only, for anyone, for views that show only their public
    part (description, place, status, reply); otherwise the actor's own view."""
    query = select(Case)
    if public:
        query = query.where(Case.kind == CaseKind.COMPLAINT)
    else:
        query = query.where(visible_cases(actor))
    if filters.kind:
        query = query.where(Case.kind == filters.kind)
    if filters.status == "open":
        query = query.where(Case.is_open.is_(True))
    elif filters.status == "closed":
        query = query.where(Case.is_open.is_(False))
    if filters.states:
        query = query.where(Case.state.in_(list(filters.states)))
    if filters.item_codes:
        query = query.where(
            Case.item_id.in_(
                select(ServiceItem.id).where(ServiceItem.code.in_(list(filters.item_codes)))
            )
        )
    if filters.numbers:
        query = query.where(Case.number.in_(list(filters.numbers)))
    if filters.ids:
        query = query.where(Case.id.in_(list(filters.ids)))
    if filters.department_id is not None:
        query = query.where(Case.department_id == filters.department_id)
    if filters.division_code:
        query = query.where(Case.division_code == filters.division_code)
    if filters.submitted_from is not None:
        query = query.where(Case.submitted_at >= filters.submitted_from)
    if filters.submitted_before is not None:
        query = query.where(Case.submitted_at < filters.submitted_before)
    if filters.card:
        query = query.where(Case.card == filters.card)
    total = None
    if count:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Case.submitted_at.desc(), Case.id.desc()).limit(limit).offset(offset)
    )
    return list(rows), total


def list_public_complaints(
    session: Session,
    *,
    item_codes: Sequence[str] = (),
    division_code: str | None = None,
    statuses: Sequence[str] = (),
    submitted_from: dt.datetime,
    submitted_before: dt.datetime,
    limit: int,
    offset: int = 0,
) -> list[Row[Any]]:
    """Complaints filed in ``[submitted_from, submitted_before)``, newest first, of these
    categories (all when none), in this division (all when None), open or closed (both when
    ``statuses`` is empty or names both): their public part is anyone's to see.

    The search is one index-ordered range per category and status, each cut at
    ``offset + limit``, merged: ``(item_id, division_code, is_open, submitted_at)`` for a
    category in a city, ``(item_id, submitted_at)`` for a category in the province,
    ``(kind, division_code, is_open, submitted_at)`` and ``(kind, is_open, submitted_at)``
    without one. So no plan sorts every complaint of the window, however many match.

    Rows carry the public columns only (:data:`PUBLIC_COMPLAINT_COLUMNS`, named as on
    :class:`Case`): never the complainant's contact, and nothing to decode that no one shows."""
    wanted = {s for s in statuses if s in ("open", "closed")}
    open_values: list[bool | None]
    if len(wanted) == 1:
        open_values = [wanted == {"open"}]
    elif item_codes and division_code is None:
        open_values = [None]  # (item_id, submitted_at) serves both statuses at once
    else:
        open_values = [True, False]  # the other indexes hold is_open before the time
    item_ids: list[int | None] = [None]
    if item_codes:
        item_ids = list(
            session.scalars(
                select(ServiceItem.id)
                .where(
                    ServiceItem.code.in_(list(dict.fromkeys(item_codes))),
                    ServiceItem.kind == ItemKind.COMPLAINT_CATEGORY,
                )
                .order_by(ServiceItem.id)
            )
        )
        if not item_ids:
            return []
    newest = (Case.submitted_at.desc(), Case.id.desc())
    parts = []
    for item_id in item_ids:
        for is_open in open_values:
            part = select(*PUBLIC_COMPLAINT_COLUMNS).where(
                Case.kind == CaseKind.COMPLAINT,
                Case.submitted_at >= submitted_from,
                Case.submitted_at < submitted_before,
            )
            if item_id is not None:
                part = part.where(Case.item_id == item_id)
            if division_code is not None:
                part = part.where(Case.division_code == division_code)
            if is_open is not None:
                part = part.where(Case.is_open.is_(is_open))
            parts.append(part.order_by(*newest))
    if len(parts) == 1:
        return list(session.execute(parts[0].limit(limit).offset(offset)))
    merged = union_all(*(select(p.limit(offset + limit).subquery()) for p in parts)).subquery()
    return list(
        session.execute(
            select(merged)
            .order_by(merged.c.submitted_at.desc(), merged.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )


# What anyone may see of a complaint (Open311's service requests), and what shows it.
PUBLIC_COMPLAINT_COLUMNS = (
    Case.id,
    Case.number,
    Case.item_version_id,
    Case.department_id,
    Case.division_code,
    Case.is_open,
    Case.reply,
    Case.description,
    Case.address,
    Case.extra,
    Case.latitude,
    Case.longitude,
    Case.media_url,
    Case.submitted_at,
    Case.updated_at,
    Case.due_on,
)


def transitions_of(session: Session, case: Case) -> list[Transition]:
    return list(
        session.scalars(
            select(Transition).where(Transition.case_id == case.id).order_by(Transition.id)
        )
    )


def materials_of(session: Session, case: Case) -> list[Material]:
    return list(
        session.scalars(select(Material).where(Material.case_id == case.id).order_by(Material.id))
    )


def tasks_of(session: Session, case: Case) -> list[Task]:
    return list(
        session.scalars(
            select(Task).where(Task.case_id == case.id).order_by(Task.position, Task.id)
        )
    )


def item_of(session: Session, case: Case) -> tuple[ServiceItem, ItemVersion]:
    item = session.get(ServiceItem, case.item_id)
    version = session.get(ItemVersion, case.item_version_id)
    if item is None or version is None:  # pragma: no cover  (foreign keys guard this)
        raise NotFound("case", case.number)
    return item, version


_MOVED_TO_WORKFLOW = frozenset({"transition", "complete_task", "rate", "rating_of"})


def __getattr__(name: str) -> Any:
    """The state machine's functions live in :mod:`yiwang.cases.workflow`; they are still
    reachable here for callers written before the split."""
    if name in _MOVED_TO_WORKFLOW:
        from yiwang.cases import workflow  # noqa: PLC0415  (workflow imports this module)

        return getattr(workflow, name)
    raise AttributeError(name)


def open_states() -> list[str]:
    return [s.value for s in State if s not in FINAL_STATES]


__all__ = [
    "CaseFilters",
    "Filed",
    "Storage",
    "code_digest",
    "file_complaint",
    "file_request",
    "find_case",
    "get_case",
    "handles",
    "is_applicant",
    "list_cases",
    "list_public_complaints",
    "next_number",
    "raise_counters",
    "route_complaint",
    "submit_application",
]
