"""The complaint desk backed by the cases engine: complaint categories are service items of
kind ``complaint_category`` (their form fields become attributes), a service request is a
complaint case, its id the case number. Only what is public about a complaint is shown:
never the complainant's contact, never an application."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from yiwang.cases import filing, items, queries
from yiwang.cases.models import Case, ItemVersion, ServiceItem
from yiwang.cases.open311.errors import Open311Error
from yiwang.cases.open311.jurisdictions import PROVINCE_CODE
from yiwang.cases.open311.port import (
    Attribute,
    AttributeValue,
    Category,
    Complaint,
    ComplaintQuery,
    Datatype,
    Filed,
    Status,
    Submission,
)
from yiwang.cases.schemas import ComplaintCreate, ContactIn
from yiwang.cases.vocab import CaseKind, ItemKind
from yiwang.core.identity import Department
from yiwang.core.policy import Actor

CHINA = dt.timezone(dt.timedelta(hours=8))
SOURCE = "open311"
_CJK = re.compile(r"[\u3400-\u9fff]")

# Form field types of a service item → GeoReport datatypes.
_DATATYPES: dict[str, Datatype] = {
    "text": "string",
    "phone": "string",
    "textarea": "text",
    "number": "number",
    "date": "datetime",
    "select": "singlevaluelist",
    "boolean": "singlevaluelist",
}
_DATATYPE_HINTS = {
    "phone": "电话号码 / phone number",
    "date": "日期，如 2025-10-01 / a date such as 2025-10-01",
}
_BOOLEAN_VALUES = (AttributeValue("true", "是"), AttributeValue("false", "否"))


def _attribute(order: int, spec: Mapping[str, Any]) -> Attribute:
    kind = str(spec.get("type", "text"))
    if kind == "select":
        values = tuple(AttributeValue(str(o), str(o)) for o in spec.get("options", []))
    elif kind == "boolean":
        values = _BOOLEAN_VALUES
    else:
        values = ()
    return Attribute(
        code=str(spec["key"]),
        datatype=_DATATYPES.get(kind, "string"),
        description=str(spec["label"]),
        order=order,
        required=bool(spec.get("required")),
        datatype_description=_DATATYPE_HINTS.get(kind),
        values=values,
    )


def _category(item: ServiceItem, version: ItemVersion, department: str | None) -> Category:
    return Category(
        code=item.code,
        name=version.name,
        description=version.description,
        group=department,
        keywords=tuple(k for k in (version.name_en,) if k),
        attributes=tuple(
            _attribute(order, spec) for order, spec in enumerate(version.form_fields, start=1)
        ),
    )


def _end_of(day: dt.date | None) -> dt.datetime | None:
    """A due date as the last second of that day in China."""
    if day is None:
        return None
    return _end_of_day(day)


@functools.lru_cache(maxsize=4096)
def _end_of_day(day: dt.date) -> dt.datetime:
    # A list repeats a few hundred due dates; each is made once.
    return dt.datetime.combine(day, dt.time(23, 59, 59), CHINA)


def _status(case: Case | Row[Any]) -> Status:
    # The cases engine's own notion, and its index: a complaint is open until it is closed
    # (归档), rejected or withdrawn; a department's answer before that is in status_notes.
    return "open" if case.is_open else "closed"


def _contact_name(first: str | None, last: str | None) -> str | None:
    parts = [p for p in (last, first) if p]
    if not parts:
        return None
    # Chinese names are written family name first, without a space.
    if any(_CJK.search(p) for p in parts):
        return "".join(parts)
    return " ".join(reversed(parts))


def _form_value(attribute: Attribute | None, value: str | tuple[str, ...]) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if attribute is not None and attribute.datatype == "datetime":
        moment = dt.datetime.fromisoformat(value.replace("z", "Z"))
        if moment.tzinfo is not None:
            moment = moment.astimezone(CHINA)
        return moment.date().isoformat()
    return value


class CasesDesk:
    """:class:`~yiwang.cases.open311.port.ComplaintDesk` over the cases service."""

    def categories(self, session: Session, *, division_code: str) -> list[Category]:
        del division_code  # every category takes complaints from the whole province
        rows = items.list_items(session, kind=ItemKind.COMPLAINT_CATEGORY)
        names = self._departments(session, (item.department_id for item, _ in rows))
        return [_category(item, version, names.get(item.department_id)) for item, version in rows]

    def category(self, session: Session, *, code: str, division_code: str) -> Category | None:
        del division_code
        item = session.scalars(
            select(ServiceItem).where(
                ServiceItem.code == code,
                ServiceItem.kind == ItemKind.COMPLAINT_CATEGORY,
                ServiceItem.state == "active",
            )
        ).first()
        if item is None:
            return None
        names = self._departments(session, [item.department_id])
        return _category(item, items.current_version(session, item), names.get(item.department_id))

    def file(self, session: Session, *, actor: Actor, submission: Submission) -> Filed:
        category = self.category(
            session, code=submission.service_code, division_code=submission.division_code
        )
        attributes = {a.code: a for a in (category.attributes if category else ())}
        if not submission.description:
            raise Open311Error.one("open311.field_missing", field="description")
        name = _contact_name(submission.first_name, submission.last_name)
        contact = (
            ContactIn(name=name, phone=submission.phone, email=submission.email)
            if name or submission.phone or submission.email
            else None
        )
        try:
            data = ComplaintCreate(
                category_code=submission.service_code,
                division_code=submission.division_code,
                latitude=submission.lat,
                longitude=submission.lon,
                address=submission.address_string or submission.address_id,
                description=submission.description,
                media_url=submission.media_url,
                contact=contact,
                attributes={
                    code: _form_value(attributes.get(code), value)
                    for code, value in submission.attributes.items()
                },
                location_confirmed=submission.location_confirmed,
            )
        except ValidationError as exc:
            problems = [
                (
                    "open311.field_invalid",
                    {"field": ".".join(map(str, e["loc"])), "reason": e["msg"]},
                )
                for e in exc.errors(include_url=False)
            ]
            raise Open311Error(problems) from None
        extra = {
            key: value
            for key, value in (
                ("device_id", submission.device_id),
                ("account_id", submission.account_id),
                ("address_id", submission.address_id),
            )
            if value
        }
        filed = filing.file_complaint(
            session,
            actor=actor,
            data=data,
            idempotency_key=submission.idempotency_key,
            source=SOURCE,
            extra=extra,
        )
        case = filed.case
        names = self._departments(session, [case.department_id])
        return Filed(
            service_request_id=case.number,
            account_id=submission.account_id,
            agency_responsible=names.get(case.department_id),
            expected_datetime=_end_of(case.due_on),
            query_code=filed.query_code,
        )

    def by_ids(
        self, session: Session, *, ids: Sequence[str], division_code: str
    ) -> list[Complaint]:
        found = []
        for number in dict.fromkeys(ids):
            case = queries.find_case(session, number=number)  # one unique-index lookup each
            if case is None or case.kind != CaseKind.COMPLAINT:
                continue  # applications are never public
            if division_code not in {PROVINCE_CODE, case.division_code}:
                continue
            found.append(case)
        return self._complaints(session, found)

    def search(self, session: Session, *, query: ComplaintQuery) -> list[Complaint]:
        cases = queries.list_public_complaints(
            session,
            item_codes=list(query.service_codes),
            division_code=None if query.division_code == PROVINCE_CODE else query.division_code,
            statuses=list(query.statuses),
            submitted_from=query.start,
            # The service takes an exclusive upper bound; the query's end is inclusive.
            submitted_before=query.end + dt.timedelta(microseconds=1),
            limit=query.limit,
            offset=query.offset,
        )
        return self._complaints(session, cases)

    def resolve_token(self, session: Session, *, token: str, division_code: str) -> str | None:
        # Complaints are filed in real time, so no token is ever handed out; a client that
        # asks anyway with a request id gets that id back.
        found = self.by_ids(session, ids=[token], division_code=division_code)
        return found[0].service_request_id if found else None

    def changed_at(self, session: Session) -> dt.datetime | None:
        return items.last_modified(session, kind=ItemKind.COMPLAINT_CATEGORY)

    # --- helpers ---------------------------------------------------------------------------

    @staticmethod
    def _departments(session: Session, ids: Iterable[int]) -> dict[int, str]:
        wanted = set(ids)
        if not wanted:
            return {}
        rows = session.execute(
            select(Department.id, Department.name_zh).where(Department.id.in_(wanted))
        )
        return {row.id: row.name_zh for row in rows}

    def _complaints(
        self, session: Session, cases: Sequence[Case] | Sequence[Row[Any]]
    ) -> list[Complaint]:
        """The complaints' public views; ``cases`` are cases or rows of their public columns
        (:data:`yiwang.cases.queries.PUBLIC_COMPLAINT_COLUMNS`), read alike."""
        if not cases:
            return []
        versions = {
            row.id: (row.code, row.name)
            for row in session.execute(
                select(ItemVersion.id, ServiceItem.code, ItemVersion.name)
                .join(ServiceItem, ServiceItem.id == ItemVersion.item_id)
                .where(ItemVersion.id.in_({c.item_version_id for c in cases}))
            )
        }
        agencies = self._departments(session, (c.department_id for c in cases))
        return [
            Complaint(
                service_request_id=case.number,
                status=_status(case),
                status_notes=case.reply,
                service_code=versions[case.item_version_id][0],
                service_name=versions[case.item_version_id][1],
                description=case.description,
                agency_responsible=agencies.get(case.department_id),
                requested_datetime=case.submitted_at,
                updated_datetime=case.updated_at,
                expected_datetime=_end_of(case.due_on),
                address=case.address,
                address_id=(case.extra or {}).get("address_id"),
                lat=case.latitude,
                lon=case.longitude,
                media_url=case.media_url,
                division_code=case.division_code,
            )
            for case in cases
        ]
