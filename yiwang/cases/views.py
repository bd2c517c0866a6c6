"""How items and cases look in the native API: the one mapper of each answer model of
:mod:`yiwang.cases.schemas` (``power_public``, ``item_public``, ``case_public``,
``case_summary_public``), personal data masked for everyone but the staff handling the case;
and the same as plain dicts (``item_dict``, ``case_dict``, ...) for the pages that show them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from yiwang.cases import filing, queries, workflow
from yiwang.cases.models import (
    Case,
    ItemVersion,
    Material,
    Power,
    Rating,
    ServiceItem,
    Task,
    Transition,
)
from yiwang.cases.schemas import (
    ApplicantPublic,
    CaseItemRef,
    CasePublic,
    CaseSummary,
    DeliveryAddressPublic,
    DeliveryPublic,
    ItemPublic,
    LocationPublic,
    MaterialPublic,
    PowerPublic,
    RatingPublic,
    TaskPublic,
    TransitionPublic,
)
from yiwang.cases.vocab import STATE_LABELS, ApplicantType, State, allowed_actions
from yiwang.catalog.public import PersonalKind, mask
from yiwang.core.codes import division_full_name


def mask_identity(applicant_type: str | None, number: str | None) -> str | None:
    """A resident ID keeps its area code and last four; a USCC its first four and last four."""
    if number is None:
        return None
    if applicant_type == ApplicantType.CITIZEN:
        return mask(PersonalKind.RESIDENT_ID, number)
    return number[:4] + "*" * max(0, len(number) - 8) + number[-4:]


def delivery_address_public(case: Case, *, full: bool) -> DeliveryAddressPublic | None:
    """Where a courier delivers the case's result, or None (another method, or filed before
    addresses were asked for); recipient, phone and street masked unless ``full``."""
    code = case.delivery_division_code
    if case.delivery_method != "courier" or code is None:
        return None
    province, city, district = filing.delivery_levels(code)
    division = division_full_name(code) or code
    street = case.delivery_address or ""
    return DeliveryAddressPublic(
        recipient=case.delivery_recipient
        if full
        else mask(PersonalKind.NAME, case.delivery_recipient),
        phone=case.delivery_phone if full else mask(PersonalKind.MOBILE, case.delivery_phone),
        province_code=province,
        city_code=city,
        district_code=district,
        division=division,
        street=street if full else ("****" if street else None),
        full=division + street if full else f"{division}****",
    )


def power_public(power: Power) -> PowerPublic:
    return PowerPublic.model_validate(power, from_attributes=True)


def item_public(item: ServiceItem, version: ItemVersion) -> ItemPublic:
    return ItemPublic(
        code=item.code,
        kind=item.kind,
        department_id=item.department_id,
        power_id=item.power_id,
        state=item.state,
        version=version.number,
        name=version.name,
        name_en=version.name_en,
        description=version.description,
        legal_basis=version.legal_basis,
        legal_limit_days=version.legal_limit_days,
        promised_limit_days=version.promised_limit_days,
        warn_days=version.warn_days,
        clock_stops_on_supplement=version.clock_stops_on_supplement,
        trips=version.trips,
        trips_offline=version.trips_offline,
        applicant_types=version.applicant_types,
        materials=version.materials,
        form_fields=version.form_fields,
        fees=version.fees,
        free=not any(float(f.get("amount", 0)) for f in version.fees),
        steps=version.steps,
        routing=version.routing,
        delivery_methods=version.delivery_methods,
        max_material_bytes=version.max_material_bytes,
        themes=version.themes,
        life_events=version.life_events,
        keywords=version.keywords,
    )


def item_dict(item: ServiceItem, version: ItemVersion) -> dict[str, Any]:
    return item_public(item, version).model_dump()


def filed_case_public(filed: filing.Filed, *, full: bool) -> CasePublic | None:
    """The case just filed, as :func:`case_public` shows it, from what filing wrote (no query);
    None when ``filed`` does not carry it (an idempotent repeat)."""
    if filed.target is None:
        return None
    return _case_public(
        filed.case,
        full=full,
        query_code=filed.query_code,
        item_code=filed.target.code,
        version=filed.target.version,
        materials=filed.materials,
        tasks=(),
        transitions=filed.transitions,
        rating=None,
    )


def case_public(
    session: Session, case: Case, *, full: bool, query_code: str | None = None
) -> CasePublic:
    """A case as its applicant or its handlers see it; ``full`` (the staff handling it) shows
    personal data unmasked. ``query_code`` is shown once, when the case is filed."""
    item, version = queries.item_of(session, case)
    return _case_public(
        case,
        full=full,
        query_code=query_code,
        item_code=item.code,
        version=version,
        materials=queries.materials_of(session, case),
        tasks=queries.tasks_of(session, case),
        transitions=queries.transitions_of(session, case),
        rating=workflow.rating_of(session, case),
    )


def _case_public(
    case: Case,
    *,
    full: bool,
    query_code: str | None,
    item_code: str,
    version: ItemVersion,
    materials: Sequence[Material],
    tasks: Sequence[Task],
    transitions: Sequence[Transition],
    rating: Rating | None,
) -> CasePublic:
    label = STATE_LABELS.get(State(case.state), (case.state, case.state))
    applicant = ApplicantPublic(
        type=case.applicant_type,
        name=case.applicant_name if full else mask(PersonalKind.NAME, case.applicant_name),
        id_number=case.applicant_id_number
        if full
        else mask_identity(case.applicant_type, case.applicant_id_number),
        phone=case.applicant_phone if full else mask(PersonalKind.MOBILE, case.applicant_phone),
        email=case.applicant_email if full else ("****" if case.applicant_email else None),
    )
    return CasePublic(
        number=case.number,
        kind=case.kind,
        item=CaseItemRef(code=item_code, name=version.name, version=version.number),
        department_id=case.department_id,
        division_code=case.division_code,
        state=case.state,
        state_label=label[0],
        is_open=case.is_open,
        applicant=applicant,
        form=case.form_data,
        location=LocationPublic(lat=case.latitude, long=case.longitude, address=case.address)
        if case.kind in ("complaint", "task")
        else None,
        source_ref=case.source_ref,
        description=case.description,
        media_url=case.media_url,
        reply=case.reply,
        submitted_at=case.submitted_at.isoformat(),
        submitted_on=case.submitted_on.isoformat(),
        due_on=case.due_on.isoformat(),
        legal_due_on=case.legal_due_on.isoformat(),
        deadline_provisional=case.deadline_provisional,
        paused=case.paused_on is not None,
        paused_workdays=case.paused_workdays,
        card=case.card,
        finished_on=case.finished_on.isoformat() if case.finished_on else None,
        workdays_used=case.workdays_used,
        on_time=case.on_time,
        decision=case.decision,
        decision_document=case.decision_document,
        delivery=DeliveryPublic(
            method=case.delivery_method,
            tracking_number=case.tracking_number,
            address=delivery_address_public(case, full=full),
        ),
        actions=allowed_actions(case.state),
        materials=[
            MaterialPublic(
                key=m.key,
                purpose=m.purpose,
                filename=m.filename,
                type=m.file_type,
                size=m.size,
                digest=m.digest,
                provided_by=m.provided_by,
            )
            for m in materials
        ],
        tasks=[
            TaskPublic(
                id=t.id,
                step=t.step_key,
                name=t.step_name,
                position=t.position,
                department_id=t.department_id,
                state=t.state,
                opinion=t.opinion,
                comment=t.comment,
            )
            for t in tasks
        ],
        history=[
            TransitionPublic.model_validate(
                {
                    "action": t.action,
                    "from": t.from_state,
                    "to": t.to_state,
                    "party": t.party,
                    "by": t.actor_name if full else t.party,
                    "reason": t.reason,
                    "at": t.at.isoformat(),
                }
            )
            for t in transitions
        ],
        flags=[
            flag for t in transitions if t.action == "submit" for flag in t.details.get("flags", ())
        ]
        if full
        else None,
        rating=RatingPublic(
            score=rating.score, comment=rating.comment, at=rating.rated_at.isoformat()
        )
        if rating
        else None,
        query_code=query_code,
    )


def case_summary_public(case: Case, *, full: bool) -> CaseSummary:
    """A case in a list: no materials, history or personal data beyond the masked name."""
    return CaseSummary(
        number=case.number,
        kind=case.kind,
        item_id=case.item_id,
        department_id=case.department_id,
        division_code=case.division_code,
        state=case.state,
        is_open=case.is_open,
        applicant_name=case.applicant_name
        if full
        else mask(PersonalKind.NAME, case.applicant_name),
        submitted_at=case.submitted_at.isoformat(),
        due_on=case.due_on.isoformat(),
        deadline_provisional=case.deadline_provisional,
        card=case.card,
        on_time=case.on_time,
    )


# --- the same as plain dicts, for the pages ------------------------------------------------------


def filed_case_dict(filed: filing.Filed, *, full: bool) -> dict[str, Any] | None:
    """:func:`filed_case_public` as a dict."""
    found = filed_case_public(filed, full=full)
    return None if found is None else found.model_dump(by_alias=True)


def case_dict(
    session: Session, case: Case, *, full: bool, query_code: str | None = None
) -> dict[str, Any]:
    """:func:`case_public` as a dict."""
    return case_public(session, case, full=full, query_code=query_code).model_dump(by_alias=True)


def case_summary(case: Case, *, full: bool) -> dict[str, Any]:
    """:func:`case_summary_public` as a dict."""
    return case_summary_public(case, full=full).model_dump()
