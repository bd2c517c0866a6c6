"""Filing cases: applications for service items, complaints against complaint categories and
the task cases other engines request. Each checks what is filed (the applicant, the form, the
materials), numbers the case, counts its deadlines in working days and records its first
transition, event and audit entry.

Every function takes the acting :class:`Actor` and asks the policy first. An idempotency key
makes a repeated submission return the case already filed; the query code shown to the
applicant is kept only as an SM3 digest (:func:`yiwang.cases.access.code_digest`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import io
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import yiwang.cases.messages  # noqa: F401  (registers the engine's messages)
from yiwang.cases import deadlines, materials
from yiwang.cases.access import code_digest
from yiwang.cases.auditing import record_at_commit
from yiwang.cases.items import FilingTarget, filing_target
from yiwang.cases.materials import StoredFile, Upload
from yiwang.cases.models import Case, ItemVersion, Material, ServiceItem, Transition
from yiwang.cases.numbers import next_number
from yiwang.cases.schemas import ApplicationCreate, ComplaintCreate
from yiwang.cases.vocab import ApplicantType, CaseKind, ItemKind, State, local_date
from yiwang.core import contracts, events, geo, identity
from yiwang.core.codes import (
    division_children,
    division_name,
    division_parent,
    normalize_ric,
    normalize_uscc,
)
from yiwang.core.config import Settings
from yiwang.core.db import utcnow
from yiwang.core.errors import InvalidInput, NotFound
from yiwang.core.policy import SYSTEM, Actor, can_file_case, require

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


# --- idempotency keys and query codes ------------------------------------------------------------


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


# --- delivery by courier -------------------------------------------------------------------------

_MOBILE_PHONE = re.compile(r"(?:\+?86)?(1[3-9][0-9]{9})")
# Area codes: 010 and 02X have three digits, the others four (0571).
_LANDLINE = re.compile(
    r"(010|02[0-9]|0[3-9][0-9]{2})-?([2-9][0-9]{6,7})(?:(?:-|转|#)([0-9]{1,6}))?"
)
_PHONE_NOISE = re.compile(r"[\s()（）]")


def normalize_phone(value: str) -> str:
    """Return a mainland mobile number as its 11 digits, or a landline number as
    ``0571-87654321`` (``-123`` for an extension); raise :class:`InvalidInput` otherwise."""
    text = _PHONE_NOISE.sub("", value)
    mobile = _MOBILE_PHONE.fullmatch(text.replace("-", ""))
    if mobile:
        return mobile[1]
    landline = _LANDLINE.fullmatch(text)
    if landline:
        area, number, extension = landline.groups()
        return f"{area}-{number}" + (f"-{extension}" if extension else "")
    raise InvalidInput("cases.delivery_phone_invalid", value=value)


def delivery_provinces() -> list[str]:
    """The provinces (province-level divisions) of the mainland a courier delivers to."""
    codes = (f"{n:02d}0000" for n in range(11, 71))
    return [code for code in codes if division_name(code) is not None]


def delivery_cities(province: str) -> list[str]:
    """The cities of ``province`` an address may name: its prefecture-level divisions (and the
    counties directly under it), or the province alone for a municipality (直辖市), whose
    districts lie directly under it."""
    children = division_children(province)
    if any(code.endswith("00") for code in children):
        return children
    return [province] if division_name(province) is not None else []


def delivery_districts(city: str) -> list[str]:
    """The districts and counties of ``city``; none for a city without districts (东莞市)."""
    return division_children(city)


def delivery_levels(code: str) -> tuple[str, str, str | None]:
    """The province, city and district (None for a city without districts) of the division
    an address was filed under."""
    province = code[:2] + "0000"
    if code in delivery_cities(province):
        return province, code, None
    return province, division_parent(code) or province, code


def delivery_division(province: str, city: str, district: str | None) -> str:
    """The division a courier address is filed under: the district, or the city when it has
    none. Raise :class:`InvalidInput` when a level is missing or not within the one above."""
    province, city, district = province.strip(), city.strip(), (district or "").strip()
    if not province:
        raise InvalidInput("cases.delivery_province_required")
    if province not in delivery_provinces():
        raise InvalidInput("cases.delivery_division_invalid", value=province)
    if not city:
        raise InvalidInput("cases.delivery_city_required")
    if city not in delivery_cities(province):
        raise InvalidInput(
            "cases.delivery_city_outside",
            city=division_name(city) or city,
            province=division_name(province) or province,
        )
    districts = delivery_districts(city)
    city_name = division_name(city) or city
    if not districts:
        if district and district != city:
            raise InvalidInput(
                "cases.delivery_district_outside",
                district=division_name(district) or district,
                city=city_name,
            )
        return city
    if not district:
        raise InvalidInput("cases.delivery_district_required", city=city_name)
    if district not in districts:
        raise InvalidInput(
            "cases.delivery_district_outside",
            district=division_name(district) or district,
            city=city_name,
        )
    return district


def _delivery_values(data: ApplicationCreate) -> dict[str, Any]:
    """The case's delivery columns: for delivery by courier the recipient and address,
    checked (:class:`InvalidInput` names the first problem); for another method none."""
    if data.delivery_method != "courier":
        return {}
    address = data.delivery_address
    if address is None:
        raise InvalidInput("cases.delivery_address_required")
    recipient = address.recipient.strip()
    if not recipient:
        raise InvalidInput("cases.delivery_recipient_required")
    if not address.phone.strip():
        raise InvalidInput("cases.delivery_phone_required")
    phone = normalize_phone(address.phone)
    division = delivery_division(address.province_code, address.city_code, address.district_code)
    street = address.street.strip()
    if len(street) < 2:
        raise InvalidInput("cases.delivery_street_required")
    return {
        "delivery_recipient": recipient,
        "delivery_phone": phone,
        "delivery_division_code": division,
        "delivery_address": street,
    }


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
    delivery = _delivery_values(data)
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
            **delivery,
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


def _check_address_city(data: ComplaintCreate) -> None:
    """Refuse a complaint whose address names a Zhejiang city other than the one its point
    lies in (or, without a point, than ``division_code``): one of them is wrong, and only the
    complainant knows which."""
    point_city = None
    if data.latitude is not None and data.longitude is not None:
        point_city = geo.city_of(data.longitude, data.latitude)
    located = point_city or geo.city_code_of(data.division_code)
    if located is None:
        return
    named = geo.address_city_conflict(data.address, located)
    if named is None:
        return
    names = {code: division_name(code) or code for code in (named, located)}
    raise InvalidInput(
        "cases.location_conflict" if point_city else "cases.division_conflict",
        details={"field": "address", "address_city": named, "located_city": located},
        address_city=names[named],
        located_city=names[located],
    )


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
    if not data.location_confirmed:
        _check_address_city(data)
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


__all__ = [
    "CODE_LENGTH",
    "Filed",
    "Storage",
    "attach",
    "code_secret",
    "delivery_cities",
    "delivery_districts",
    "delivery_division",
    "delivery_levels",
    "delivery_provinces",
    "file_complaint",
    "file_request",
    "normalize_phone",
    "route_complaint",
    "store_materials",
    "submit_application",
]
