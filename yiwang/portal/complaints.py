"""Complaints and suggestions (投诉建议): the categories (the Open311 services, grouped by the
department that owns them), the form with a map pin or an address, and the receipt with the
complaint's number and query code.

The categories come from the Open311 layer's complaint desk, as ``/open311/v2/services`` lists
them; filing calls :func:`yiwang.cases.public.file_complaint` as the JSON API does. A pin is
placed in its city by :func:`yiwang.core.geo.city_of` here, on the server: what the browser
says about the city is never trusted."""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from yiwang.cases import public as cases
from yiwang.cases.public import ComplaintCategory, ComplaintCreate, ContactIn, ItemKind
from yiwang.core import geo, identity
from yiwang.core.config import Settings
from yiwang.core.errors import AppError, InvalidInput
from yiwang.core.i18n import EN, ZH, add_messages
from yiwang.core.policy import ANONYMOUS, Actor
from yiwang.core.web.csrf import check_csrf
from yiwang.core.web.deps import CurrentActor, SessionDep, SettingsDep
from yiwang.core.web.templating import render_page
from yiwang.portal.common import NO_STORE, departments_by_id, is_zh

router = APIRouter(include_in_schema=False)

SOURCE = "web"  # how the case came in (Case.source)
ATTRIBUTE_PREFIX = "attr:"  # form fields of a category's own questions: attr:{category}:{key}
EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
PHONE = re.compile(r"[0-9+\-() ]{3,32}")

# The form's text fields: (model, field) whose max_length limits them, and their names.
_LIMITED: dict[str, tuple[type[BaseModel], str, str, str]] = {
    "description": (ComplaintCreate, "description", "投诉或建议内容", "The description"),
    "address": (ComplaintCreate, "address", "地址", "The address"),
    "contact_name": (ContactIn, "name", "联系人姓名", "The name"),
    "phone": (ContactIn, "phone", "联系电话", "The phone number"),
    "email": (ContactIn, "email", "电子邮箱", "The e-mail address"),
}

add_messages(
    {
        "portal.complaint.category_missing": {
            ZH: "请选择投诉类别。",
            EN: "Choose a category.",
        },
        "portal.complaint.description_missing": {
            ZH: "请填写投诉或建议的内容。",
            EN: "Say what the complaint or suggestion is about.",
        },
        "portal.complaint.location_missing": {
            ZH: "请在地图上点选位置，或填写地址并选择所在城市。",
            EN: "Place a pin on the map, or give an address and choose its city.",
        },
        "portal.complaint.city_missing": {
            ZH: "填写地址时请选择所在城市。",
            EN: "Choose the city the address is in.",
        },
        "portal.complaint.bad_point": {
            ZH: "地图位置无效，请在地图上重新点选。",
            EN: "The map position is not valid; place the pin again.",
        },
        "portal.complaint.outside": {
            ZH: "所选位置（经度 {lon}，纬度 {lat}）不在浙江省 11 个设区市内，"
            "请在浙江省内重新点选。",
            EN: "The position chosen (longitude {lon}, latitude {lat}) is not in any of "
            "Zhejiang's 11 cities; place the pin inside Zhejiang.",
        },
        "portal.complaint.pin_or_address": {
            ZH: "地址写的是{address_city}，地图上的位置在{located_city}，请确认哪个正确。",
            EN: "The address says {address_city} but the pin is in {located_city}; which is right?",
        },
        "portal.complaint.city_or_address": {
            ZH: "地址写的是{address_city}，所选城市是{located_city}，请确认哪个正确。",
            EN: "The address says {address_city} but the city chosen is {located_city}; "
            "which is right?",
        },
        "portal.complaint.email_invalid": {
            ZH: "电子邮箱格式不正确：{value}",
            EN: "Not an e-mail address: {value}",
        },
        "portal.complaint.phone_invalid": {
            ZH: "联系电话只能包含数字、空格和 + - ( )：{value}",
            EN: "A phone number has digits, spaces and + - ( ) only: {value}",
        },
        **{
            f"portal.complaint.too_long.{name}": {
                ZH: f"{label_zh}最多 {{max}} 个字符（现有 {{length}} 个）。",
                EN: f"{label_en} has at most {{max}} characters (this one has {{length}}).",
            }
            for name, (_, _, label_zh, label_en) in _LIMITED.items()
        },
    }
)


def _max_length(model: type[BaseModel], name: str) -> int:
    """The max_length the schema gives the field."""
    for rule in model.model_fields[name].metadata:
        limit = getattr(rule, "max_length", None)
        if limit is not None:
            return int(limit)
    raise LookupError(f"{model.__name__}.{name} has no max_length")


LIMITS = {name: _max_length(model, attr) for name, (model, attr, _, _) in _LIMITED.items()}


# --- the categories ------------------------------------------------------------------------------


def categories(request: Request, session: Session) -> list[ComplaintCategory]:
    """The complaint categories, as ``/open311/v2/services`` lists them for the province."""
    open311 = cases.get_open311(request)
    province = open311.jurisdictions.province.division_code
    return open311.desk.categories(session, division_code=province)


def grouped(rows: Sequence[ComplaintCategory]) -> list[tuple[str | None, list[ComplaintCategory]]]:
    """The categories by their group (the department that owns them), groups in the order of
    their first category, categories in the order of the list."""
    groups: dict[str | None, list[ComplaintCategory]] = {}
    for row in rows:
        groups.setdefault(row.group, []).append(row)
    return list(groups.items())


@dataclass(frozen=True, slots=True)
class Names:
    """Category and department names in the page's language: the Open311 categories carry the
    Chinese ones; English pages take each item's ``name_en`` and each department's English name
    where the engines hold them."""

    zh: bool
    categories: Mapping[str, str]  # category code -> English name
    departments: Mapping[str, str]  # Chinese department name -> English name

    @classmethod
    def of(cls, request: Request, session: Session) -> Names:
        if is_zh(request):
            return cls(True, {}, {})
        english = {
            item.code: version.name_en
            for item, version in cases.list_items(session, kind=ItemKind.COMPLAINT_CATEGORY)
            if version.name_en
        }
        departments = {
            d.name_zh: d.name_en
            for d in departments_by_id(session, ANONYMOUS).values()
            if d.name_en
        }
        return cls(False, english, departments)

    def category(self, category: ComplaintCategory) -> str:
        return category.name if self.zh else self.categories.get(category.code, category.name)

    def department(self, name: str | None) -> str | None:
        return name if self.zh or name is None else self.departments.get(name, name)


def attribute_field(category: ComplaintCategory, key: str) -> str:
    """The form field that answers one of a category's own questions."""
    return f"{ATTRIBUTE_PREFIX}{category.code}:{key}"


@router.get("/complaints", response_class=HTMLResponse)
def complaint_categories(request: Request, session: SessionDep, _actor: CurrentActor) -> Response:
    return render_page(
        request,
        "portal/complaints/index.html",
        {"groups": grouped(categories(request, session)), "names": Names.of(request, session)},
    )


# --- the form ------------------------------------------------------------------------------------


@dataclass
class Draft:
    """The form as the complainant filled it in, kept as typed when it comes back."""

    category: str = ""
    description: str = ""
    latitude: str = ""
    longitude: str = ""
    address: str = ""
    city: str = ""
    contact_name: str = ""
    phone: str = ""
    email: str = ""
    anonymous: bool = False
    idempotency_key: str = ""
    # The answer to a question about the location: "pin:{city}", "city:{city}" or
    # "address:{city}", binding only while the address and the location disagree so.
    location_choice: str = ""
    attributes: dict[str, str] = field(default_factory=dict)  # by form field name

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> Draft:
        def text(name: str) -> str:
            return form.get(name, "")

        return cls(
            category=text("category").strip(),
            description=text("description"),
            latitude=text("latitude").strip(),
            longitude=text("longitude").strip(),
            address=text("address"),
            city=text("city").strip(),
            contact_name=text("contact_name"),
            phone=text("phone"),
            email=text("email"),
            anonymous=bool(text("anonymous")),
            idempotency_key=text("idempotency_key").strip(),
            location_choice=text("location_choice").strip(),
            attributes={k: v for k, v in form.items() if k.startswith(ATTRIBUTE_PREFIX)},
        )

    def pin(self) -> tuple[float, float] | None:
        """The pin as (longitude, latitude), or None when there is none or it is not a
        coordinate."""
        if not (self.latitude or self.longitude):
            return None
        try:
            lon, lat = float(self.longitude), float(self.latitude)
        except ValueError:
            return None
        if not (math.isfinite(lon) and math.isfinite(lat)):
            return None
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            return None
        return lon, lat


def _refuse(code: str, where: str, **params: Any) -> InvalidInput:
    """A problem with the form, marked on the field ``where``."""
    return InvalidInput(code, details={"field": where}, **params)


def _limited(name: str, value: str) -> str | None:
    """The value stripped (None when empty), refused when longer than the schema allows."""
    value = value.strip()
    if len(value) > LIMITS[name]:
        raise _refuse(
            f"portal.complaint.too_long.{name}", name, max=LIMITS[name], length=len(value)
        )
    return value or None


@dataclass(frozen=True, slots=True)
class Located:
    """Where the complaint is filed: the pin (or none), the city it goes to, and whether the
    complainant confirmed it against an address naming another city."""

    latitude: float | None
    longitude: float | None
    division: str
    confirmed: bool = False


def _location(draft: Draft) -> Located:
    """A pin is placed in its city here; without a pin the address is filed in the city
    chosen. When the address names another city, the complainant is asked which is right,
    and their answer decides: the pin (or the city chosen) as it is, or the address's city
    without the pin."""
    if draft.latitude or draft.longitude:
        pin = draft.pin()
        if pin is None:
            raise _refuse("portal.complaint.bad_point", "map")
        lon, lat = pin
        city = geo.city_of(lon, lat)
        if city is None:
            raise _refuse("portal.complaint.outside", "map", lon=f"{lon:.5f}", lat=f"{lat:.5f}")
        located, kind = Located(lat, lon, city), "pin"
    else:
        if not draft.address.strip():
            raise _refuse("portal.complaint.location_missing", "map")
        if geo.city(draft.city) is None:
            raise _refuse("portal.complaint.city_missing", "city")
        located, kind = Located(None, None, draft.city), "city"
    named = geo.address_city_conflict(draft.address, located.division)
    if named is None:
        return located
    if draft.location_choice == f"{kind}:{located.division}":
        return Located(located.latitude, located.longitude, located.division, confirmed=True)
    if draft.location_choice == f"address:{named}":
        return Located(None, None, named, confirmed=True)
    raise InvalidInput(
        f"portal.complaint.{'pin' if kind == 'pin' else 'city'}_or_address",
        details={
            "field": "location",
            "question": LocationQuestion(kind=kind, located=located.division, address=named),
        },
        address_city=_city_name(named),
        located_city=_city_name(located.division),
    )


@dataclass(frozen=True, slots=True)
class LocationQuestion:
    """Which is right, the pin (or the city chosen) or the address: the form's choices."""

    kind: str  # "pin" or "city"
    located: str  # the city of the pin or the city chosen
    address: str  # the city the address names

    @property
    def located_name(self) -> str:
        return _city_name(self.located)

    @property
    def address_name(self) -> str:
        return _city_name(self.address)


def _city_name(code: str) -> str:
    found = geo.city(code)
    return found.name if found is not None else code


def _contact(draft: Draft) -> ContactIn | None:
    if draft.anonymous:
        return None
    name = _limited("contact_name", draft.contact_name)
    phone = _limited("phone", draft.phone)
    email = _limited("email", draft.email)
    if phone is not None and not PHONE.fullmatch(phone):
        raise _refuse("portal.complaint.phone_invalid", "phone", value=phone)
    if email is not None and not EMAIL.fullmatch(email):
        raise _refuse("portal.complaint.email_invalid", "email", value=email)
    if name is None and phone is None and email is None:
        return None
    return ContactIn(name=name, phone=phone, email=email)


def complaint_of(draft: Draft, rows: Sequence[ComplaintCategory]) -> ComplaintCreate:
    """The complaint the form describes, or an ``InvalidInput`` saying what to correct."""
    if not draft.category:
        raise _refuse("portal.complaint.category_missing", "category")
    category = next((c for c in rows if c.code == draft.category), None)
    if category is None:
        raise _refuse("cases.not_a_category", "category", value=draft.category)
    description = _limited("description", draft.description)
    if description is None:
        raise _refuse("portal.complaint.description_missing", "description")
    address = _limited("address", draft.address)
    located = _location(draft)
    answers = {}
    for question in category.attributes:
        value = draft.attributes.get(attribute_field(category, question.code), "").strip()
        if value:
            answers[question.code] = value
    try:
        return ComplaintCreate(
            category_code=category.code,
            division_code=located.division,
            latitude=located.latitude,
            longitude=located.longitude,
            address=address,
            description=description,
            contact=_contact(draft),
            attributes=answers,
            location_confirmed=located.confirmed,
        )
    except ValidationError as exc:  # what the checks above let through, as the API says it
        problem = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in problem["loc"]) or "-"
        raise InvalidInput("field_invalid", field=where, reason=problem["msg"]) from None


def _form_page(
    request: Request,
    session: Session,
    rows: Sequence[ComplaintCategory],
    draft: Draft,
    *,
    error: AppError | None = None,
) -> Response:
    names = Names.of(request, session)
    pin = draft.pin()
    pin_city = geo.city_of(*pin) if pin is not None else None
    found = geo.city(pin_city) if pin_city else None
    details = error.details if error is not None and isinstance(error.details, dict) else {}
    return render_page(
        request,
        "portal/complaints/form.html",
        {
            "names": names,
            "groups": grouped(rows),
            "draft": draft,
            "chosen": next((c for c in rows if c.code == draft.category), None),
            "attribute_field": attribute_field,
            "cities": geo.cities(),
            "limits": LIMITS,
            "pin": pin,
            "pin_city": found.name if found is not None else None,
            "error": error,
            "error_field": details.get("field"),
            "question": details.get("question"),
        },
        status_code=error.status_code if error is not None else 200,
    )


@router.get("/complaints/new", response_class=HTMLResponse)
def complaint_form(
    request: Request,
    session: SessionDep,
    _actor: CurrentActor,
    category: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """The form, with ``category`` chosen when it names one, and a fresh idempotency key so
    that submitting it twice files once."""
    rows = categories(request, session)
    known = any(c.code == category for c in rows)
    draft = Draft(category=category if known else "", idempotency_key=secrets.token_urlsafe(18))
    return _form_page(request, session, rows, draft)


@router.post("/complaints/new", response_class=HTMLResponse)
async def file_complaint(
    request: Request, session: SessionDep, actor: CurrentActor, settings: SettingsDep
) -> Response:
    async with request.form(max_files=0, max_fields=200) as form:
        fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    check_csrf(request, fields.get("csrf"))
    draft = Draft.from_form(fields)
    return await run_in_threadpool(_file, request, session, actor, settings, draft)


def _file(
    request: Request, session: Session, actor: Actor, settings: Settings, draft: Draft
) -> Response:
    rows = categories(request, session)
    try:
        filed = cases.file_complaint(
            session,
            actor=actor,
            data=complaint_of(draft, rows),
            idempotency_key=draft.idempotency_key or None,
            code_secret=cases.code_secret(settings),
            source=SOURCE,
        )
    except AppError as exc:
        session.rollback()  # nothing filed
        return _form_page(request, session, rows, draft, error=exc)
    return _receipt(request, session, filed)


# --- the receipt ---------------------------------------------------------------------------------


def _receipt(request: Request, session: Session, filed: cases.Filed) -> Response:
    case = filed.case
    version = filed.target.version if filed.target else cases.item_of(session, case)[1]
    department = identity.get_department(session, case.department_id)
    place = geo.place_of(case.division_code, case.address)
    state = cases.STATE_LABELS[cases.State(case.state)]
    return render_page(
        request,
        "portal/complaints/receipt.html",
        {
            "case": case,
            "created": filed.created,
            "query_code": filed.query_code,
            "category": version.name if is_zh(request) else (version.name_en or version.name),
            "promised_days": version.promised_limit_days,
            "department": department,
            "place": place.name if place is not None else case.division_code,
            "state": state[0] if is_zh(request) else state[1],
        },
        status_code=201 if filed.created else 200,
        headers=NO_STORE,
    )
