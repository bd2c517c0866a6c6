"""The service hall (办事服务): items by department, theme and life event, an item's page,
applying online with a form generated from the item, tracking a case by its number and query
code, and rating it once it has ended.

A refused application is shown again with what was typed and a message saying what to do
next; the files it uploaded are kept under a short-lived token and listed as uploaded, so the
applicant replaces only what was wrong. Delivery by courier asks for the recipient and the
address, its divisions chosen from the division codes (the lists follow the choices in the
browser, and the server checks them whether or not the browser ran any script).

Handlers call the cases engine's public services, the same ones its JSON API calls: the query
code travels only in POST bodies, never in a URL."""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import ValidationError
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from yiwang.cases import public as cases
from yiwang.cases.public import (
    ACTION_LABELS,
    DECISION_LABELS,
    DELIVERY_LABELS,
    FILE_TYPE_LABELS,
    FINAL_STATES,
    LIFE_EVENT_LABELS,
    PARTY_LABELS,
    STATE_LABELS,
    THEME_LABELS,
    ApplicantType,
    ApplicationCreate,
    ItemKind,
    ItemVersion,
    RatingIn,
    ServiceItem,
    State,
    Upload,
)
from yiwang.core import geo, identity
from yiwang.core.codes import division_name
from yiwang.core.config import Settings
from yiwang.core.errors import AppError, InvalidInput, NotFound, PermissionDenied
from yiwang.core.i18n import EN, ZH, add_messages
from yiwang.core.identity import Department
from yiwang.core.policy import ANONYMOUS, Actor
from yiwang.core.web.csrf import check_csrf
from yiwang.core.web.deps import (
    CurrentActor,
    SessionDep,
    SettingsDep,
    register_read_only,
    request_language,
)
from yiwang.core.web.errors import validation_details
from yiwang.core.web.templating import render_page
from yiwang.portal.common import NO_STORE, departments_by_id, is_zh, local_time

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

BROWSE = ("department", "theme", "life_event")
APPLICANT_LABELS = {
    ApplicantType.CITIZEN: ("个人", "Citizens"),
    ApplicantType.ENTERPRISE: ("法人", "Enterprises and organisations"),
}
ID_LABELS = {
    ApplicantType.CITIZEN: ("身份证号", "Resident ID number"),
    ApplicantType.ENTERPRISE: ("统一社会信用代码", "Unified social credit code"),
}
NAME_LABELS = {
    ApplicantType.CITIZEN: ("姓名", "Name"),
    ApplicantType.ENTERPRISE: ("单位名称", "Name of the organisation"),
}
ACTION_NAMES_EN = {
    "submit": "Submitted",
    "accept": "Accepted",
    "reject": "Not accepted",
    "start_review": "Review started",
    "request_supplement": "Supplement requested",
    "supplement": "Supplemented",
    "review": "Review opinion",
    "decide": "Decision",
    "deliver": "Delivered",
    "close": "Closed",
    "withdraw": "Withdrawn",
    "recount": "Deadline recounted",
}
SCORE_LABELS = (
    (1, "非常不满意", "Very poor"),
    (2, "不满意", "Poor"),
    (3, "基本满意", "Fair"),
    (4, "满意", "Good"),
    (5, "非常满意", "Very good"),
)
# What a file input accepts, by the engine's file types (extensions and media types).
ACCEPT = {
    "pdf": ".pdf,application/pdf",
    "jpeg": ".jpg,.jpeg,image/jpeg",
    "png": ".png,image/png",
    "ofd": ".ofd",
    "docx": ".docx",
    "xlsx": ".xlsx",
    "zip": ".zip",
}
DEFAULT_TYPES = ("pdf", "jpeg", "png", "ofd")
_NUMBER_MAX = 64  # longer than any case number
_CODE_MAX = 32
DEFAULT_PROVINCE = "330000"  # the province the hall serves, chosen first for an address
_DELIVERY_FIELDS = {
    "delivery_recipient": 100,
    "delivery_phone": 32,
    "delivery_province": 6,
    "delivery_city": 6,
    "delivery_district": 6,
    "delivery_street": 200,
}

add_messages(
    {
        "hall.ric_invalid": {
            ZH: "居民身份证号码无效：请核对 18 位号码（最后一位可能是 X）后重新填写。",
            EN: "The resident ID number is not valid: check its 18 characters (the last may "
            "be X) and enter it again.",
        },
        "hall.uscc_invalid": {
            ZH: "统一社会信用代码无效：请对照营业执照核对 18 位代码后重新填写。",
            EN: "The unified social credit code is not valid: check its 18 characters against "
            "the business licence and enter it again.",
        },
        "hall.applicant_type": {
            ZH: "该事项不受理此类申请人，请在“申请人类型”中重新选择。",
            EN: "This item does not take applicants of this type: choose the applicant type again.",
        },
        "hall.delivery_method": {
            ZH: "该事项不支持所选的送达方式，请重新选择送达方式。",
            EN: "This item does not offer the delivery chosen: choose another.",
        },
        "hall.form_field_invalid": {
            ZH: "“{field}”填写有误（{value}），请修改后再提交。",
            EN: "“{field}” is not valid ({value}): correct it and submit again.",
        },
        "hall.field_invalid": {
            ZH: "“{field}”填写有误：{reason}。请修改后再提交。",
            EN: "“{field}” is not valid: {reason}. Correct it and submit again.",
        },
        "hall.field_missing": {ZH: "请填写“{field}”。", EN: "Fill in “{field}”."},
        "hall.email_invalid": {
            ZH: "电子邮箱格式不正确（应类似 name@example.cn），请修改或留空。",
            EN: "The e-mail address is not valid (like name@example.cn): correct it or leave "
            "it empty.",
        },
        "hall.material_missing": {
            ZH: "缺少必交材料：{material}。请选择该材料的文件后再提交。",
            EN: "A mandatory material is missing: {material}. Choose its file and submit again.",
        },
        "hall.material_empty": {
            ZH: "材料“{material}”是空文件，请重新选择该材料的文件。",
            EN: "The file for “{material}” is empty: choose its file again.",
        },
        "hall.material_too_large": {
            ZH: "材料“{material}”（{filename}）超过大小限制（{limit}）。请压缩文件或降低扫描"
            "分辨率后重新选择。",
            EN: "“{material}” ({filename}) exceeds the size limit ({limit}): compress it or scan "
            "it at a lower resolution, then choose it again.",
        },
        "hall.material_type": {
            ZH: "材料“{material}”（{filename}）的内容是 {actual}，该材料只接受：{allowed}。"
            "请重新选择符合格式的文件。",
            EN: "The content of “{material}” ({filename}) is {actual}; this material takes only "
            "{allowed}. Choose a file of that kind.",
        },
        "hall.material_mismatch": {
            ZH: "材料“{material}”的文件名（{filename}）与其内容（{actual}）不符，请确认选对了"
            "文件后重新选择。",
            EN: "The name of “{material}” ({filename}) does not match its content ({actual}): "
            "check it is the right file and choose it again.",
        },
        "hall.not_open": {
            ZH: "该事项目前不能在线申请，请返回事项页面查看其他办理方式。",
            EN: "This item cannot be applied for online now: see its page for other ways.",
        },
        "hall.form_changed": {
            ZH: "该事项的办事指南刚刚更新，请刷新页面后重新填写。",
            EN: "This item's guide has just changed: reload the page and fill the form in again.",
        },
        "hall.expired": {
            ZH: "页面已过期，请再次点击“提交申请”。",
            EN: "The page has expired: press “Submit the application” again.",
        },
        "hall.try_again": {
            ZH: "系统暂时繁忙，申请未提交。请稍后再次点击“提交申请”；如多次失败，请拨打 12345 "
            "政务服务热线。",
            EN: "The system is busy and the application was not filed. Press “Submit the "
            "application” again in a moment; if it keeps failing, call the 12345 hotline.",
        },
    }
)


def _reads_only(request: Request) -> bool:
    """Looking a case up by its number and code is a POST (the code stays out of URLs) that
    only reads."""
    return request.method == "POST" and request.url.path == "/track"


register_read_only(_reads_only)


# --- the hall ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HallItem:
    """One service item as the hall lists it."""

    code: str
    name: str
    name_en: str | None
    department: str
    promised_limit_days: int
    trips: int


@dataclass(frozen=True, slots=True)
class Group:
    anchor: str
    title: str
    items: list[HallItem]


@dataclass(frozen=True, slots=True)
class Section:
    """Groups under one heading (the life events of citizens, those of enterprises)."""

    title: str | None
    groups: list[Group]


def _departments(session: Session) -> dict[int, Department]:
    """The departments on the network, in division order."""
    return departments_by_id(session, ANONYMOUS)


def _department_name(department: Department | None, zh: bool) -> str:
    if department is None:
        return ""
    return department.name_zh if zh else (department.name_en or department.name_zh)


def _hall_item(item: ServiceItem, version: ItemVersion, department: str) -> HallItem:
    return HallItem(
        code=item.code,
        name=version.name,
        name_en=version.name_en,
        department=department,
        promised_limit_days=version.promised_limit_days,
        trips=version.trips,
    )


def hall_sections(
    session: Session, *, by: str, applicant: str | None, zh: bool
) -> tuple[list[Section], int]:
    """The service items grouped for browsing ``by`` department, theme or life event, only
    those open to ``applicant`` (a type) when given; and how many items that is. A group with
    no item is left out; an item belongs to as many themes and life events as it lists."""
    departments = _departments(session)
    rows = [
        (item, version)
        for item, version in cases.list_items(session, kind=ItemKind.SERVICE)
        if applicant is None or applicant in version.applicant_types
    ]
    listed = {
        item.code: _hall_item(
            item, version, _department_name(departments.get(item.department_id), zh)
        )
        for item, version in rows
    }
    if by == "theme":
        groups = [
            Group(
                f"theme-{theme.value}",
                labels[0] if zh else labels[1],
                [listed[i.code] for i, v in rows if theme in v.themes],
            )
            for theme, labels in THEME_LABELS.items()
        ]
        return [Section(None, [g for g in groups if g.items])], len(rows)
    if by == "life_event":
        sections = []
        for audience, (title_zh, title_en) in (
            (ApplicantType.CITIZEN, ("个人办事 · 人生事件", "Citizens: life events")),
            (ApplicantType.ENTERPRISE, ("法人办事 · 企业生命周期", "Enterprises: life cycle")),
        ):
            if applicant is not None and applicant != audience:
                continue
            groups = [
                Group(
                    f"event-{event.value}",
                    labels[0] if zh else labels[1],
                    [listed[i.code] for i, v in rows if event in v.life_events],
                )
                for event, labels in LIFE_EVENT_LABELS.items()
                if labels[2] == audience
            ]
            sections.append(Section(title_zh if zh else title_en, [g for g in groups if g.items]))
        return sections, len(rows)
    by_department: dict[int, list[HallItem]] = {}
    for item, _version in rows:
        by_department.setdefault(item.department_id, []).append(listed[item.code])
    order = [d for d in departments if d in by_department]
    order += sorted(set(by_department) - set(order))
    groups = [
        Group(
            f"department-{department_id}",
            _department_name(departments.get(department_id), zh) or ("其他" if zh else "Other"),
            by_department[department_id],
        )
        for department_id in order
    ]
    return [Section(None, groups)], len(rows)


@router.get("/services", response_class=HTMLResponse)
def hall(
    request: Request,
    session: SessionDep,
    _actor: CurrentActor,
    by: str = "department",
    applicant: str = "",
) -> Response:
    by = by if by in BROWSE else "department"
    chosen = applicant if applicant in {t.value for t in ApplicantType} else None
    zh = is_zh(request)
    sections, count = hall_sections(session, by=by, applicant=chosen, zh=zh)
    return render_page(
        request,
        "portal/hall/index.html",
        {
            "by": by,
            "applicant": chosen or "",
            "sections": sections,
            "count": count,
            "applicant_labels": APPLICANT_LABELS,
        },
    )


# --- an item -------------------------------------------------------------------------------------


def _size(n: int) -> str:
    if n >= 1 << 20:
        return f"{n / (1 << 20):.3g} MB"
    if n >= 1 << 10:
        return f"{n / (1 << 10):.3g} KB"
    return f"{n} B"


def _active_service(session: Session, code: str) -> tuple[ServiceItem, ItemVersion] | None:
    """The service item with this code and its current version, or None if there is no such
    item citizens can apply for (unknown, retired, or a complaint category)."""
    try:
        item = cases.get_item(session, code=code)
    except NotFound:
        return None
    if item.kind != ItemKind.SERVICE or item.state != "active":
        return None
    return item, cases.current_version(session, item)


def _item_context(
    session: Session, item: ServiceItem, version: ItemVersion, settings: Settings, zh: bool
) -> dict[str, Any]:
    """What the item's page and its application form show, as plain values (so that they can
    still be shown after the request's transaction was rolled back)."""
    departments = _departments(session)
    data = cases.item_dict(item, version)
    site_limit = settings.max_upload_bytes
    materials = []
    for spec in version.materials:
        types = list(spec.get("types") or DEFAULT_TYPES)
        limit = min(n for n in (site_limit, version.max_material_bytes, spec.get("max_bytes")) if n)
        materials.append(
            {
                "key": spec["key"],
                "name": spec["name"],
                "mandatory": bool(spec.get("mandatory", True)),
                "original": bool(spec.get("original", False)),
                "types": "、".join(FILE_TYPE_LABELS.get(t, t) for t in types),
                "accept": ",".join(ACCEPT[t] for t in types if t in ACCEPT),
                "limit": _size(int(limit)),
            }
        )
    slugs = {d.slug: d for d in departments.values()}
    responsible = _department_name(departments.get(item.department_id), zh)
    steps = [
        {
            "name": step["name"],
            "departments": [
                _department_name(slugs.get(slug), zh) or slug for slug in step["departments"]
            ]
            or [responsible],
        }
        for step in version.steps
    ]
    return {
        "item": data,
        "department": responsible,
        "materials": materials,
        "steps": steps,
        "fees": version.fees,
        "themes": [(t, THEME_LABELS[t]) for t in THEME_LABELS if t in version.themes],
        "life_events": [
            (e, LIFE_EVENT_LABELS[e]) for e in LIFE_EVENT_LABELS if e in version.life_events
        ],
        "applicant_labels": APPLICANT_LABELS,
        "delivery_labels": DELIVERY_LABELS,
        "id_labels": ID_LABELS,
        "name_labels": NAME_LABELS,
    }


def _missing(request: Request, code: str) -> Response:
    return render_page(request, "portal/hall/missing.html", {"code": code}, status_code=404)


@router.get("/services/{code}", response_class=HTMLResponse)
def item_page(
    code: str, request: Request, session: SessionDep, _actor: CurrentActor, settings: SettingsDep
) -> Response:
    found = _active_service(session, code)
    if found is None:
        return _missing(request, code)
    context = _item_context(session, *found, settings, is_zh(request))
    return render_page(request, "portal/hall/item.html", context)


# --- applying ------------------------------------------------------------------------------------


def _blank_values(version: ItemVersion) -> dict[str, Any]:
    return {
        "applicant_type": version.applicant_types[0] if version.applicant_types else "",
        "applicant_name": "",
        "applicant_id_number": "",
        "applicant_phone": "",
        "applicant_email": "",
        "delivery_method": version.delivery_methods[0] if version.delivery_methods else "",
        **dict.fromkeys(_DELIVERY_FIELDS, ""),
        "delivery_province": DEFAULT_PROVINCE,
        "fields": {},
        "idempotency_key": secrets.token_urlsafe(18),
        "uploads_token": "",
    }


@router.get("/services/{code}/apply", response_class=HTMLResponse)
def apply_form(
    code: str, request: Request, session: SessionDep, _actor: CurrentActor, settings: SettingsDep
) -> Response:
    found = _active_service(session, code)
    if found is None:
        return _missing(request, code)
    context = _item_context(session, *found, settings, is_zh(request))
    values = _blank_values(found[1])
    context |= {"values": values, "error": None, "error_target": None, "staged": {}}
    context |= _address_choices(values)
    return render_page(request, "portal/hall/apply.html", context)


def _names(codes: Sequence[str]) -> list[tuple[str, str]]:
    return [(code, division_name(code) or code) for code in codes]


def _address_choices(values: Mapping[str, Any]) -> dict[str, Any]:
    """The provinces, and the cities and districts of those chosen, for the address fields."""
    provinces = cases.delivery_provinces()
    province = values.get("delivery_province", "")
    cities = cases.delivery_cities(province) if province in provinces else []
    city = values.get("delivery_city", "")
    districts = cases.delivery_districts(city) if city in cities else []
    return {
        "provinces": _names(provinces),
        "cities": _names(cities),
        "districts": _names(districts),
    }


@router.get("/services/apply/divisions")
def divisions(province: str = "", city: str = "") -> Response:
    """The cities of a province, or the districts of a city, for the address fields of the
    application form: ``{"divisions": [{"code", "name"}]}``."""
    if province:
        codes = cases.delivery_cities(province) if province in cases.delivery_provinces() else []
    else:
        codes = cases.delivery_districts(city) if city.isdigit() and len(city) == 6 else []
    return JSONResponse(
        {"divisions": [{"code": code, "name": name} for code, name in _names(codes)]},
        headers={"Cache-Control": "public, max-age=86400"},
    )


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _submitted_values(form: FormData, version: ItemVersion) -> dict[str, Any]:
    """What the applicant typed, to fill the form in again if it is refused."""
    fields: dict[str, Any] = {}
    for spec in version.form_fields:
        raw = form.get(f"field_{spec['key']}")
        fields[spec["key"]] = raw if isinstance(raw, str) else ""
    return {
        "applicant_type": _text(form, "applicant_type"),
        "applicant_name": _text(form, "applicant_name"),
        "applicant_id_number": _text(form, "applicant_id_number"),
        "applicant_phone": _text(form, "applicant_phone"),
        "applicant_email": _text(form, "applicant_email"),
        "delivery_method": _text(form, "delivery_method"),
        **{name: _text(form, name)[:limit] for name, limit in _DELIVERY_FIELDS.items()},
        "fields": fields,
        "idempotency_key": _text(form, "idempotency_key")[:200],
        "uploads_token": _text(form, "uploads_token")[:64],
    }


def _form_values(version: ItemVersion, fields: Mapping[str, str]) -> dict[str, Any]:
    """The item's form as the engine takes it. A checkbox left unticked answers "no"; a
    required yes/no question is asked with two radio buttons, so unanswered stays missing."""
    values: dict[str, Any] = {}
    for spec in version.form_fields:
        raw = fields.get(spec["key"], "")
        if spec.get("type") == "boolean" and not spec.get("required"):
            values[spec["key"]] = raw == "true"
        elif raw.strip():
            values[spec["key"]] = raw
    return values


def _application(code: str, version: ItemVersion, values: Mapping[str, Any]) -> ApplicationCreate:
    return ApplicationCreate.model_validate(
        {
            "item_code": code,
            "applicant": {
                "type": values["applicant_type"],
                "name": values["applicant_name"],
                "id_number": values["applicant_id_number"],
                "phone": values["applicant_phone"] or None,
                "email": values["applicant_email"] or None,
            },
            "form": _form_values(version, values["fields"]),
            "delivery_method": values["delivery_method"] or None,
            "delivery_address": {
                "recipient": values["delivery_recipient"],
                "phone": values["delivery_phone"],
                "province_code": values["delivery_province"],
                "city_code": values["delivery_city"],
                "district_code": values["delivery_district"] or None,
                "street": values["delivery_street"],
            }
            if values["delivery_method"] == "courier"
            else None,
        }
    )


def _uploads(form: FormData, version: ItemVersion) -> list[Upload]:
    """The files chosen for the item's materials (an input left empty sends no file)."""
    keys = {m["key"] for m in version.materials}
    uploads = []
    for name, value in form.multi_items():
        if isinstance(value, UploadFile) and value.filename and name.startswith("file_"):
            key = name.removeprefix("file_")
            if key in keys:
                uploads.append(Upload(key, value.filename, value.file))
    return uploads


_APPLICANT_TARGETS = {
    "type": "applicant-type",
    "name": "applicant-name",
    "id_number": "applicant-id-number",
    "phone": "applicant-phone",
    "email": "applicant-email",
}
_DELIVERY_TARGETS = {
    "recipient": "delivery-recipient",
    "phone": "delivery-phone",
    "province_code": "delivery-province",
    "city_code": "delivery-city",
    "district_code": "delivery-district",
    "street": "delivery-street",
}
_FIELD_LABELS = {
    "type": ("申请人类型", "Applicant type"),
    "name": ("申请人名称", "Applicant's name"),
    "id_number": ("证件号码", "Identity number"),
    "phone": ("联系电话", "Phone"),
    "email": ("电子邮箱", "E-mail"),
    "delivery_method": ("送达方式", "Delivery"),
    "comment": ("评价内容", "Comment"),
}
_DELIVERY_LABELS = {
    "recipient": ("收件人", "Recipient"),
    "phone": ("收件人电话", "Recipient's phone"),
    "province_code": ("省份", "Province"),
    "city_code": ("城市", "City"),
    "district_code": ("区（县）", "District"),
    "street": ("详细地址", "Street address"),
}
# The engine's refusals a citizen can meet on the form, said as what to do next.
_CITIZEN_CODES = {
    "codes.ric_invalid": "hall.ric_invalid",
    "codes.uscc_invalid": "hall.uscc_invalid",
    "cases.applicant_type": "hall.applicant_type",
    "cases.delivery_method": "hall.delivery_method",
    "cases.form_field_invalid": "hall.form_field_invalid",
    "cases.material_missing": "hall.material_missing",
    "cases.material_empty": "hall.material_empty",
    "cases.material_type": "hall.material_type",
    "cases.material_mismatch": "hall.material_mismatch",
    "cases.not_a_service": "hall.not_open",
    "cases.unknown_form_field": "hall.form_changed",
    "cases.unknown_material": "hall.form_changed",
    "cases.bad_idempotency_key": "hall.expired",
}
# Refusals that say nothing of the application itself: the system could not file it now.
_SYSTEM_CODES = frozenset({"database_busy", "integrity_conflict", "server_busy", "internal_error"})
_DELIVERY_ERROR_TARGETS = {
    "cases.delivery_address_required": "delivery-recipient",
    "cases.delivery_recipient_required": "delivery-recipient",
    "cases.delivery_phone_required": "delivery-phone",
    "cases.delivery_phone_invalid": "delivery-phone",
    "cases.delivery_province_required": "delivery-province",
    "cases.delivery_division_invalid": "delivery-province",
    "cases.delivery_city_required": "delivery-city",
    "cases.delivery_city_outside": "delivery-city",
    "cases.delivery_district_required": "delivery-district",
    "cases.delivery_district_outside": "delivery-district",
    "cases.delivery_street_required": "delivery-street",
}


def _refusal(exc: ValidationError, language: str) -> tuple[AppError, str | None]:
    """The first problem pydantic found with the applicant's answers, named as the form names
    the field, and the id of that field."""
    problem = exc.errors()[0]
    loc = tuple(str(p) for p in problem.get("loc", ()))
    field = loc[-1] if loc else ""
    zh = language.startswith("zh")
    in_address = loc[:1] == ("delivery_address",)
    label = (_DELIVERY_LABELS if in_address else _FIELD_LABELS).get(field)
    named = label[0 if zh else 1] if label else ".".join(loc)
    target = _APPLICANT_TARGETS.get(field) if loc[:1] == ("applicant",) else None
    if in_address:
        target = _DELIVERY_TARGETS.get(field)
    if field == "delivery_method":
        target = "delivery-method"
    if target == "applicant-email":
        return InvalidInput("hall.email_invalid"), target
    if problem.get("type") == "missing":
        return InvalidInput("hall.field_missing", field=named), target
    (detail,) = validation_details([{**problem, "loc": (named,)}], language)
    return InvalidInput("field_invalid", field=named, reason=detail["message"]), target


def _for_citizen(exc: AppError) -> AppError:
    """``exc`` as the application form says it: what went wrong and what to do next."""
    if exc.code in _SYSTEM_CODES or exc.status_code >= 500:
        return AppError("hall.try_again", status_code=503)
    if exc.code == "cases.material_too_large":
        limit = exc.params.get("limit")
        params = exc.params | {"limit": _size(limit) if isinstance(limit, int) else limit}
        return AppError("hall.material_too_large", status_code=exc.status_code, **params)
    code = _CITIZEN_CODES.get(exc.code)
    if code is None:
        return exc
    return AppError(code, status_code=exc.status_code, **exc.params)


def _error_target(exc: AppError, version: ItemVersion) -> str | None:
    """The id of the form field an error of the engine is about, if it names one."""
    if exc.code in ("codes.ric_invalid", "codes.uscc_invalid"):
        return "applicant-id-number"
    if exc.code == "cases.applicant_type":
        return "applicant-type"
    if exc.code == "cases.delivery_method":
        return "delivery-method"
    if exc.code in _DELIVERY_ERROR_TARGETS:
        return _DELIVERY_ERROR_TARGETS[exc.code]
    label = exc.params.get("field")
    for spec in version.form_fields:
        if label is not None and spec["label"] == label:
            return f"field-{spec['key']}"
    material = exc.params.get("material")
    for spec in version.materials:
        if material is not None and spec["name"] == material:
            return f"file-{spec['key']}"
    return None


# --- files kept for a retry ----------------------------------------------------------------------


def _material_limit(spec: Mapping[str, Any], version: ItemVersion, settings: Settings) -> int:
    limits = (settings.max_upload_bytes, version.max_material_bytes, spec.get("max_bytes"))
    return min(int(n) for n in limits if n)


def _keep_uploads(
    uploads: Sequence[Upload], version: ItemVersion, settings: Settings, token: str
) -> dict[str, dict[str, str]]:
    """Keep the files of a refused application that are fine in themselves under ``token``,
    beside those kept before (a new file for a material replaces the one kept; a new file
    that is wrong drops it, so that the form asks for that material again); return what is
    kept, by material key, as the form lists it."""
    specs = {m["key"]: m for m in version.materials}
    good, wrong = [], []
    for upload in uploads:
        spec = specs.get(upload.key)
        if spec is None:
            continue
        try:
            cases.check_upload(
                upload,
                max_bytes=_material_limit(spec, version, settings),
                accepted=spec.get("types") or DEFAULT_TYPES,
                material_name=spec["name"],
            )
        except AppError:
            wrong.append(upload.key)
        else:
            good.append(upload)
    try:
        kept = cases.stage(Path(settings.var_dir), token, good, drop=wrong)
    except OSError:
        log.exception("the files of a refused application could not be kept")
        return {}
    return {
        key: {"filename": f.filename, "size": _size(f.size)}
        for key, f in kept.items()
        if key in specs
    }


def _log_failure(exc: Exception, item_code: str) -> None:
    """Log an application that could not be filed. A database error carries the statement's
    values (the applicant's ID number, phone, address): of it only its kind and the driver's
    message are logged, as the application's error handler does."""
    if isinstance(exc, StatementError):
        log.error(  # no traceback: its frames hold the values
            "an application could not be filed",
            extra={"item": item_code, "error": type(exc).__name__, "cause": str(exc.orig)},
        )
    else:
        log.error("an application could not be filed", extra={"item": item_code}, exc_info=exc)


@router.post("/services/{code}/apply", response_class=HTMLResponse)
async def apply(
    code: str,
    request: Request,
    session: SessionDep,
    actor: CurrentActor,
    settings: SettingsDep,
) -> Response:
    form = await request.form(max_files=150, max_fields=300)
    try:
        csrf = form.get("csrf")
        check_csrf(request, csrf if isinstance(csrf, str) else None)
        language = request_language(request)
        zh = language.startswith("zh")

        def run() -> Response:
            found = _active_service(session, code)
            if found is None:
                return _missing(request, code)
            item, version = found
            context = _item_context(session, item, version, settings, zh)
            values = _submitted_values(form, version)
            context["values"] = values
            context |= _address_choices(values)
            root = Path(settings.var_dir)
            token = values["uploads_token"]
            kept = cases.staged_files(root, token) if token else {}
            fresh = _uploads(form, version)

            def refuse(error: AppError, target: str | None) -> Response:
                # Nothing of a refused application is filed (files written are removed too);
                # the files uploaded are kept for the retry.
                session.rollback()
                values["uploads_token"] = token if kept else cases.new_staging_token()
                context["staged"] = _keep_uploads(fresh, version, settings, values["uploads_token"])
                if error.code == "hall.expired":
                    values["idempotency_key"] = secrets.token_urlsafe(18)
                return _refused(request, context, error, target)

            try:
                data = _application(item.code, version, values)
            except ValidationError as exc:
                return refuse(*_refusal(exc, language))
            given = {u.key for u in fresh}
            with contextlib.ExitStack() as files:
                earlier = []
                for f in kept.values():
                    if f.key in given:
                        continue
                    try:  # gone since it was listed (filed by a retry at the same time)
                        stream = files.enter_context(f.path.open("rb"))
                    except FileNotFoundError:
                        continue
                    earlier.append(Upload(f.key, f.filename, stream))
                try:
                    filed = cases.submit_application(
                        session,
                        actor=actor,
                        data=data,
                        uploads=[*fresh, *earlier],
                        storage=cases.Storage.of(settings),
                        idempotency_key=values["idempotency_key"] or None,
                        code_secret=cases.code_secret(settings),
                        source="web",
                    )
                except PermissionDenied:
                    raise
                except AppError as exc:
                    return refuse(_for_citizen(exc), _error_target(exc, version))
                except Exception as exc:  # noqa: BLE001  (logged; the citizen is answered)
                    # Whatever went wrong inside, the applicant keeps the form and the files.
                    _log_failure(exc, item.code)
                    return refuse(AppError("hall.try_again", status_code=503), None)
            if kept:
                cases.discard_staged_at_commit(session, root, token)
            return _receipt(request, session, filed, context)

        return await run_in_threadpool(run)
    finally:
        await form.close()


def _refused(
    request: Request, context: dict[str, Any], error: AppError, target: str | None
) -> Response:
    context |= {"error": error, "error_target": target}
    return render_page(request, "portal/hall/apply.html", context, status_code=error.status_code)


def _receipt(
    request: Request, session: Session, filed: cases.Filed, context: dict[str, Any]
) -> Response:
    """The receipt: the case number and the query code (shown here once), the deadline and a
    way to track the case."""
    body = cases.filed_case_dict(filed, full=False) if filed.created else None
    if body is None:
        body = cases.case_dict(session, filed.case, full=False, query_code=filed.query_code)
    context |= {
        "case": body,
        "created": filed.created,
        "state": STATE_LABELS[State(body["state"])],
        "submitted": local_time(body["submitted_at"]),
        "delivery_labels": DELIVERY_LABELS,
    }
    return render_page(
        request,
        "portal/hall/receipt.html",
        context,
        status_code=201 if filed.created else 200,
        headers=NO_STORE,
    )


# --- tracking and rating -------------------------------------------------------------------------


def _timeline(history: Sequence[Mapping[str, Any]], zh: bool) -> list[dict[str, str | None]]:
    return [
        {
            "at": local_time(step["at"]),
            "action": ACTION_LABELS.get(step["action"], step["action"])
            if zh
            else ACTION_NAMES_EN.get(step["action"], step["action"]),
            "by": PARTY_LABELS.get(step["party"], (step["party"], step["party"]))[0 if zh else 1],
            "state": STATE_LABELS[State(step["to"])][0 if zh else 1],
            "reason": step["reason"],
        }
        for step in history
    ]


def _shown(value: Any) -> Any:
    """A form value as typed: a whole number without its ".0"."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


PURPOSE_LABELS = {
    "supplement": ("补正材料", "supplement"),
    "decision": ("决定文书", "decision document"),
}


def _case_materials(
    files: Sequence[Mapping[str, Any]], version: ItemVersion, zh: bool
) -> list[dict[str, str]]:
    """The case's files, each under the name of the material it is."""
    names = {m["key"]: m["name"] for m in version.materials}
    shown = []
    for f in files:
        purpose = PURPOSE_LABELS.get(f["purpose"])
        name = names.get(f["key"]) or (purpose[0 if zh else 1] if purpose else f["key"])
        note = purpose[0 if zh else 1] if purpose and f["purpose"] != "decision" else ""
        shown.append(
            {
                "name": name,
                "filename": f["filename"],
                "about": " · ".join(
                    p
                    for p in (FILE_TYPE_LABELS.get(f["type"], f["type"]), _size(f["size"]), note)
                    if p
                ),
            }
        )
    return shown


def _not_found(request: Request, number: str) -> Response:
    """One message whether the number or the code was wrong, and nothing of any case."""
    return render_page(
        request,
        "portal/hall/track.html",
        {"case": None, "number": number, "not_found": True},
        status_code=404,
    )


def _track_page(
    request: Request,
    session: Session,
    actor: Actor,
    number: str,
    code: str,
    *,
    rating_error: AppError | None = None,
    rating: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The case as its applicant sees it (personal data masked), or the lookup form with one
    message when the number and the code do not match a case. ``rating`` is what was given in
    a rating refused, to fill its form in again."""
    zh = is_zh(request)
    try:
        case = cases.get_case(session, actor=actor, number=number, query_code=code)
    except NotFound:
        return _not_found(request, number)
    body = cases.case_dict(session, case, full=False)
    department = identity.get_department(session, case.department_id)
    _, version = cases.item_of(session, case)
    labels = {f["key"]: f["label"] for f in version.form_fields}
    context = {
        "case": body,
        "item_name": version.name if zh else (version.name_en or version.name),
        "number": number,
        "code": code,
        "not_found": False,
        "department": _department_name(department, zh),
        # The city (and district) of a complaint, from what the page shows of it.
        "place": geo.place_of(case.division_code, (body.get("location") or {}).get("address"))
        if body.get("location")
        else None,
        "state": STATE_LABELS[State(body["state"])],
        "submitted": local_time(body["submitted_at"]),
        "timeline": _timeline(body["history"], zh),
        "form": [(labels.get(key, key), _shown(value)) for key, value in body["form"].items()],
        "materials": _case_materials(body["materials"], version, zh),
        "decision": DECISION_LABELS.get(body["decision"] or ""),
        "delivery_labels": DELIVERY_LABELS,
        "can_rate": body["state"] in FINAL_STATES and body["rating"] is None,
        "scores": SCORE_LABELS,
        "rating_error": rating_error,
        "rating": rating or {"score": "", "comment": ""},
    }
    return render_page(
        request, "portal/hall/track.html", context, status_code=status_code, headers=NO_STORE
    )


@router.get("/track", response_class=HTMLResponse)
def track_form(request: Request, _actor: CurrentActor, number: str = "") -> Response:
    """The lookup form; a number in the link fills its field in (the code is never in one)."""
    return render_page(
        request,
        "portal/hall/track.html",
        {"case": None, "number": number[:_NUMBER_MAX], "not_found": False},
    )


@router.post("/track", response_class=HTMLResponse)
def track(
    request: Request,
    session: SessionDep,
    actor: CurrentActor,
    csrf: Annotated[str, Form()] = "",
    number: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    number, code = number.strip()[:_NUMBER_MAX], code.strip()[:_CODE_MAX]
    return _track_page(request, session, actor, number, code)


@router.post("/track/rate", response_class=HTMLResponse)
def rate(
    request: Request,
    session: SessionDep,
    actor: CurrentActor,
    csrf: Annotated[str, Form()] = "",
    number: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
    score: Annotated[str, Form()] = "",
    comment: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    number, code = number.strip()[:_NUMBER_MAX], code.strip()[:_CODE_MAX]
    given = {"score": score.strip(), "comment": comment}
    try:
        body = RatingIn.model_validate(
            {
                "score": int(score) if score.strip().isdigit() else 0,
                "comment": comment.strip() or None,
                "query_code": code,
            }
        )
    except ValidationError as exc:
        problem = exc.errors()[0]
        error: AppError = (
            InvalidInput("cases.bad_score")
            if problem.get("loc") == ("score",)
            else _refusal(exc, request_language(request))[0]
        )
        return _track_page(
            request,
            session,
            actor,
            number,
            code,
            rating_error=error,
            rating=given,
            status_code=error.status_code,
        )
    try:
        cases.rate(
            session,
            actor=actor,
            number=number,
            score=body.score,
            comment=body.comment,
            query_code=code,
        )
    except NotFound:
        return _not_found(request, number)
    except PermissionDenied:
        raise
    except AppError as exc:
        return _track_page(
            request,
            session,
            actor,
            number,
            code,
            rating_error=exc,
            rating=given,
            status_code=exc.status_code,
        )
    return _track_page(request, session, actor, number, code, status_code=201)


__all__ = ["hall_sections", "router"]
