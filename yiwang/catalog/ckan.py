"""CKAN's Action API at ``/api/3/action/{name}`` (and ``/api/action/{name}``), so that
``ckanapi`` and other CKAN clients work unchanged. Every action calls the same services as the
native API."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from yiwang import __version__
from yiwang.catalog import datastore_versions, loader, service
from yiwang.catalog.models import Distribution, Resource
from yiwang.catalog.packages import (
    distribution_dict,
    group_dict,
    organization_dict,
    package_dict,
)
from yiwang.catalog.schemas import ResourceCreate
from yiwang.catalog.vocab import CATEGORIES, LICENSES
from yiwang.core import identity
from yiwang.core.config import Settings
from yiwang.core.errors import AppError, InvalidInput, NotFound
from yiwang.core.i18n import translate
from yiwang.core.identity import Department
from yiwang.core.policy import Actor
from yiwang.core.web.deps import CurrentActor, SessionDep, SettingsDep, request_language
from yiwang.core.web.errors import validation_details

router = APIRouter(include_in_schema=False)

Action = Callable[["Call"], Any]
ACTIONS: dict[str, Action] = {}


class Call:
    """One action call: its parameters, the session, the actor and where we are served."""

    def __init__(
        self,
        *,
        data: dict[str, Any],
        files: dict[str, Any],
        session: Session,
        actor: Actor,
        settings: Settings,
        base_url: str,
        language: str,
    ) -> None:
        self.data = data
        self.files = files
        self.session = session
        self.actor = actor
        self.settings = settings
        self.base_url = base_url
        self.language = language

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def require(self, key: str) -> Any:
        value = self.data.get(key)
        if value in (None, ""):
            raise CkanValidation({key: [translate("field_missing", self.language, {"field": key})]})
        return value

    def integer(self, key: str, default: int, *, low: int = 0, high: int = 1_000_000) -> int:
        value = self.data.get(key, default)
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise CkanValidation({key: [f"Invalid integer: {value!r}"]}) from None
        return max(low, min(high, number))

    def json_value(self, key: str, default: Any = None) -> Any:
        value = self.data.get(key, default)
        if isinstance(value, str) and value[:1] in "[{":
            try:
                return json.loads(value)
            except (json.JSONDecodeError, RecursionError):
                raise CkanValidation({key: ["Invalid JSON"]}) from None
        return value


class CkanValidation(AppError):
    """A CKAN 'Validation Error': field → list of messages."""

    status_code = 409

    def __init__(self, fields: Mapping[str, list[str]]) -> None:
        super().__init__("validation_failed", details=dict(fields))


F = TypeVar("F", bound=Action)


def action(name: str) -> Callable[[F], F]:
    def register(func: F) -> F:
        ACTIONS[name] = func
        return func

    return register


def _help(request: Request, name: str) -> str:
    return f"{str(request.base_url).rstrip('/')}/api/3/action/help_show?name={name}"


READ_ONLY_ACTIONS = frozenset(
    {
        "status_show",
        "package_list",
        "package_show",
        "package_search",
        "organization_list",
        "organization_show",
        "group_list",
        "group_show",
        "tag_list",
        "resource_show",
        "datastore_search",
        "datastore_search_sql",
        "datastore_info",
    }
)


def is_read_only(request: Request) -> bool:
    path = request.url.path
    return path.startswith(("/api/3/action/", "/api/action/")) and (
        path.rsplit("/", 1)[-1] in READ_ONLY_ACTIONS
    )


def render_error(
    request: Request, status: int, body: dict[str, Any], headers: dict[str, str] | None
) -> Response:
    """Our error envelope, turned into CKAN's."""
    error = body.get("error", {})
    message = error.get("message", "")
    name = request.url.path.rsplit("/", 1)[-1]
    if status == 409 or (status == 422 and isinstance(error.get("details"), list | dict)):
        details = error.get("details")
        fields: dict[str, Any] = {}
        if isinstance(details, dict):
            fields.update(details)
        elif isinstance(details, list):
            for item in details:
                fields.setdefault(item.get("field", "message"), []).append(item.get("message"))
        if not fields:
            fields["message"] = message
        payload = {"__type": "Validation Error", **fields}
        status = 409
    elif status == 403:
        payload = {"__type": "Authorization Error", "message": message}
    elif status == 401:
        payload = {"__type": "Authorization Error", "message": message}
        status = 403
    elif status == 404:
        payload = {"__type": "Not Found Error", "message": message}
    elif status in {400, 422}:
        payload = {"__type": "Validation Error", "message": message}
        status = 409 if status == 422 else 400
    else:
        payload = {"__type": "Internal Error", "message": message}
    return JSONResponse(
        {"help": _help(request, name), "success": False, "error": payload},
        status_code=status,
        headers=headers,
    )


async def _params(request: Request) -> tuple[dict[str, Any], dict[str, Any]]:
    data: dict[str, Any] = dict(request.query_params)
    files: dict[str, Any] = {}
    if request.method == "POST":
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
            form = await request.form()
            for key, value in form.multi_items():
                if hasattr(value, "filename") and hasattr(value, "file"):
                    files[key] = value
                else:
                    data[key] = value
        else:
            body = await request.body()
            if body.strip():
                try:
                    parsed = json.loads(body)
                except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
                    # RecursionError: nested deeper than the parser goes (thousands of "[").
                    raise InvalidInput("malformed_json", status_code=400) from None
                if not isinstance(parsed, dict):
                    raise InvalidInput("malformed_json", status_code=400)
                data.update(parsed)
    return data, files


# Our field names that CKAN clients know by another name.
_CKAN_FIELDS = {"summary": "notes", "department_id": "owner_org", "category": "groups"}


def _validation_error(exc: ValidationError, language: str) -> CkanValidation:
    """A pydantic error as CKAN's Validation Error: CKAN field name -> messages."""
    fields: dict[str, list[str]] = {}
    for detail in validation_details([dict(e) for e in exc.errors(include_url=False)], language):
        field = _CKAN_FIELDS.get(detail["field"], detail["field"])
        fields.setdefault(field, []).append(detail["message"])
    return CkanValidation(fields)


@router.api_route("/api/3/action/{name}", methods=["GET", "POST"])
@router.api_route("/api/action/{name}", methods=["GET", "POST"])
async def dispatch(
    name: str, request: Request, session: SessionDep, actor: CurrentActor, settings: SettingsDep
) -> Response:
    func = ACTIONS.get(name)
    if func is None:
        raise AppError("not_found", status_code=404)
    data, files = await _params(request)
    call = Call(
        data=data,
        files=files,
        session=session,
        actor=actor,
        settings=settings,
        base_url=str(request.base_url).rstrip("/"),
        language=request_language(request),
    )
    try:
        result = await run_in_threadpool(func, call)
    except ValidationError as exc:  # a schema an action validates against, e.g. ResourceCreate
        raise _validation_error(exc, call.language) from None
    if isinstance(result, Response):
        return result
    return JSONResponse({"help": _help(request, name), "success": True, "result": result})


# --- site -----------------------------------------------------------------------------------------


@action("status_show")
def status_show(call: Call) -> dict[str, Any]:
    return {
        "site_title": "一网 · 政务数据开放",
        "site_description": "yiwang open data",
        "site_url": call.base_url,
        "ckan_version": "2.11.0",
        "yiwang_version": __version__,
        "locale_default": "zh_Hans_CN",
        "extensions": ["datastore", "dcat", "yiwang"],
    }


# --- packages ------------------------------------------------------------------------------------


def _department_ref(session: Session, ref: Any) -> Department:
    try:
        return identity.find_department(session, str(ref))
    except InvalidInput:
        raise CkanValidation({"owner_org": [f"Organization does not exist: {ref}"]}) from None


def _from_ckan(call: Call, data: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    """CKAN package fields → ours."""
    values: dict[str, Any] = {}
    renames = {"notes": "summary"}
    for key, value in data.items():
        if key == "tags":
            values["tags"] = [t["name"] if isinstance(t, dict) else str(t) for t in value or []]
        elif key == "groups":
            names = [g["name"] if isinstance(g, dict) else str(g) for g in value or []]
            values["category"] = names[0] if names else None
        elif key == "owner_org":
            values["department_id"] = _department_ref(call.session, value).id
        elif key in renames:
            values[renames[key]] = value
        elif key not in ("id", "resources", "organization", "extras", "type", "state", "private"):
            values[key] = value
    for extra in data.get("extras") or []:
        if isinstance(extra, dict) and "key" in extra:
            values.setdefault(extra["key"], extra.get("value"))
    if not partial and "summary" not in values:
        values["summary"] = values.get("title", "")
    return values


def _pkg(call: Call, resource: Resource) -> dict[str, Any]:
    return package_dict(call.session, resource, base_url=call.base_url)


@action("package_list")
def package_list(call: Call) -> list[str]:
    limit = call.get("limit")
    return service.visible_names(
        call.session,
        actor=call.actor,
        limit=int(limit) if limit else None,
        offset=call.integer("offset", 0),
    )


@action("package_show")
def package_show(call: Call) -> dict[str, Any]:
    return _pkg(
        call, service.get_resource(call.session, actor=call.actor, ref=str(call.require("id")))
    )


@action("package_create")
def package_create(call: Call) -> dict[str, Any]:
    values = _from_ckan(call, call.data, partial=False)
    if "department_id" not in values:
        raise CkanValidation({"owner_org": ["Missing value"]})
    values["state"] = "draft" if call.get("state") == "draft" else "active"
    data = ResourceCreate.model_validate(values)
    resource = service.create_resource(call.session, actor=call.actor, data=data)
    for spec in call.get("resources") or []:
        loader.add_distribution(
            call.session,
            actor=call.actor,
            resource_ref=resource.id,
            name=spec.get("name") or spec.get("url") or "resource",
            description=spec.get("description"),
            format=spec.get("format"),
            url=spec.get("url"),
        )
    call.session.flush()
    call.session.refresh(resource)
    return _pkg(call, resource)


def _update(call: Call, *, partial: bool) -> dict[str, Any]:
    ref = str(call.get("id") or call.require("name"))
    resource = service.get_resource(call.session, actor=call.actor, ref=ref)
    changes = _from_ckan(call, {k: v for k, v in call.data.items() if k != "name"}, partial=partial)
    changes.pop("department_id", None)
    if not partial:
        base = ResourceCreate.model_fields
        kept = {"publish_date"}  # set when first published; a full update does not clear it
        for key in service.metadata_values(resource):
            if key not in changes and key in base and key not in kept:
                default = base[key].get_default(call_default_factory=True)
                changes[key] = default
        changes.setdefault("summary", resource.summary)
        changes.setdefault("title", resource.title)
    resource = service.update_resource(
        call.session, actor=call.actor, ref=resource.id, changes=changes
    )
    if "resources" in call.data and not partial:
        keep = {spec.get("id") for spec in call.get("resources") or [] if spec.get("id")}
        for distribution in resource.distributions:
            if distribution.id not in keep and distribution.state == "active":
                distribution.state = "deleted"
        for spec in call.get("resources") or []:
            if not spec.get("id"):
                loader.add_distribution(
                    call.session,
                    actor=call.actor,
                    resource_ref=resource.id,
                    name=spec.get("name") or "resource",
                    url=spec.get("url"),
                    description=spec.get("description"),
                    format=spec.get("format"),
                )
    call.session.flush()
    call.session.refresh(resource)
    return _pkg(call, resource)


@action("package_update")
def package_update(call: Call) -> dict[str, Any]:
    return _update(call, partial=False)


@action("package_patch")
def package_patch(call: Call) -> dict[str, Any]:
    return _update(call, partial=True)


@action("package_delete")
def package_delete(call: Call) -> None:
    service.delete_resource(call.session, actor=call.actor, ref=str(call.require("id")))


_FQ_FIELDS = {
    "organization",
    "owner_org",
    "groups",
    "tags",
    "res_format",
    "city",
    "open_class",
    "share_class",
    "update_frequency",
    "license_id",
    "catalog_type",
    "name",
    "spatial_division",
    "code",
}


def parse_fq(fq: str) -> dict[str, list[str]]:
    """Solr filter queries as CKAN clients send them: ``organization:zjenv tags:"空气"``,
    clauses joined by spaces or AND; values of one field are alternatives (OR)."""
    filters: dict[str, list[str]] = {}
    for clause in _fq_clauses(fq):
        key, sep, value = clause.partition(":")
        key = key.strip().lstrip("+")
        if not sep or key not in _FQ_FIELDS:
            raise CkanValidation({"fq": [f"Unsupported filter: {clause}"]})
        for part in value.strip("()").split(" OR "):
            cleaned = part.strip().strip('"')
            if cleaned:
                filters.setdefault(key, []).append(cleaned)
    return filters


def _fq_clauses(fq: str) -> list[str]:
    clauses, current, quoted, depth = [], "", False, 0
    for char in fq:
        if char == '"':
            quoted = not quoted
        elif char == "(" and not quoted:
            depth += 1
        elif char == ")" and not quoted:
            depth -= 1
        if char.isspace() and not quoted and depth == 0:
            if current and current != "AND":
                clauses.append(current)
            current = ""
            continue
        current += char
    if current and current != "AND":
        clauses.append(current)
    return clauses


def _facet_titles(
    session: Session, facets: Mapping[str, Mapping[str, int]]
) -> dict[tuple[str, str], str]:
    """What CKAN shows for a facet value: organizations, groups and licences by title."""
    titles = {("groups", code): zh for code, (zh, _) in CATEGORIES.items()}
    titles.update({("license_id", key): title for key, (title, _) in LICENSES.items()})
    if facets.get("organization"):
        for department in identity.departments_by(session, slugs=facets["organization"]):
            titles["organization", department.slug] = department.name_zh
    return titles


@action("package_search")
def package_search(call: Call) -> dict[str, Any]:
    q = str(call.get("q") or "").strip()
    filters = parse_fq(str(call.get("fq") or ""))
    if q in ("*:*", "*"):
        q = ""
    for token in list(q.split()):  # field:value in q works like fq
        key, sep, value = token.partition(":")
        if sep and key in _FQ_FIELDS:
            filters.setdefault(key, []).append(value.strip('"'))
            q = q.replace(token, "").strip()
    if str(call.get("include_drafts", "")).lower() not in ("true", "1"):
        filters["state"] = ["active"]  # as in CKAN, drafts only when asked for
    facet_fields = call.json_value("facet.field", []) or []
    if isinstance(facet_fields, str):
        facet_fields = [facet_fields]
    rows = call.integer("rows", 10, high=1000)
    result = service.search(
        call.session,
        actor=call.actor,
        q=q or None,
        filters=filters,
        sort=call.get("sort"),
        limit=rows,
        offset=call.integer("start", 0),
        facet_fields=facet_fields,
        facet_limit=call.integer("facet.limit", 50, low=1, high=1000),
    )
    departments = {
        d.id: d
        for d in identity.departments_by(
            call.session, ids={r.department_id for r in result.resources}
        )
    }
    titles = _facet_titles(call.session, result.facets)
    search_facets = {
        name: {
            "title": name,
            "items": [
                {"name": key, "display_name": titles.get((name, key), key), "count": n}
                for key, n in counts.items()
            ],
        }
        for name, counts in result.facets.items()
    }
    return {
        "count": result.count,
        "sort": call.get("sort") or "score desc, metadata_modified desc",
        "facets": result.facets,
        "search_facets": search_facets,
        "results": [
            package_dict(
                call.session, r, base_url=call.base_url, department=departments.get(r.department_id)
            )
            for r in result.resources
        ],
    }


# --- organizations, groups, tags ---------------------------------------------------------------


@action("organization_list")
def organization_list(call: Call) -> list[Any]:
    departments = identity.departments_by(call.session)
    if str(call.get("all_fields", "")).lower() in ("true", "1"):
        counts = service.department_counts(call.session, actor=call.actor)
        return [organization_dict(d, count=counts.get(d.id, 0)) for d in departments]
    return [d.slug for d in departments]


@action("organization_show")
def organization_show(call: Call) -> dict[str, Any]:
    try:
        department = identity.find_department(call.session, str(call.require("id")))
    except InvalidInput:
        raise NotFound("organization", call.get("id")) from None
    counts = service.department_counts(call.session, actor=call.actor)
    data = organization_dict(department, count=counts.get(department.id, 0))
    if str(call.get("include_datasets", "")).lower() in ("true", "1"):
        found = service.search(
            call.session, actor=call.actor, filters={"organization": [department.slug]}, limit=1000
        )
        data["packages"] = [_pkg(call, r) for r in found.resources]
    return data


@action("group_list")
def group_list(call: Call) -> list[Any]:
    if str(call.get("all_fields", "")).lower() in ("true", "1"):
        counts = service.category_counts(call.session, actor=call.actor)
        return [group_dict(code, count=counts.get(code, 0)) for code in CATEGORIES]
    return list(CATEGORIES)


@action("group_show")
def group_show(call: Call) -> dict[str, Any]:
    code = str(call.require("id"))
    if code not in CATEGORIES:
        raise NotFound("group", code)
    return group_dict(
        code, count=service.category_counts(call.session, actor=call.actor).get(code, 0)
    )


@action("tag_list")
def tag_list(call: Call) -> list[str]:
    return service.tag_list(call.session, actor=call.actor, query=call.get("query"))


# --- resources -----------------------------------------------------------------------------------


def _resource_result(call: Call, distribution: Distribution) -> dict[str, Any]:
    version = None
    if distribution.current_version_id:
        from yiwang.catalog.models import TableVersion  # noqa: PLC0415

        version = call.session.get(TableVersion, distribution.current_version_id)
    return distribution_dict(
        distribution, version, base_url=call.base_url, package_id=distribution.resource_id
    )


@action("resource_show")
def resource_show(call: Call) -> dict[str, Any]:
    distribution, _ = datastore_versions.get_distribution(
        call.session, actor=call.actor, ref=str(call.require("id"))
    )
    return _resource_result(call, distribution)


def _take_upload(call: Call, distribution_id: str) -> None:
    upload = call.files.get("upload")
    if upload is None:
        return
    path, size = loader.store_upload(
        upload.file,
        upload_dir=Path(call.settings.var_dir) / "uploads",
        max_bytes=call.settings.max_upload_bytes,
    )
    loader.queue_load(
        call.session,
        actor=call.actor,
        distribution_id=distribution_id,
        path=path,
        filename=upload.filename or "upload.csv",
        size=size,
    )


@action("resource_create")
def resource_create(call: Call) -> dict[str, Any]:
    package_id = str(call.require("package_id"))
    upload = call.files.get("upload")
    if upload is None and not call.get("url"):
        raise CkanValidation({"url": [translate("catalog.upload_missing", call.language)]})
    name = call.get("name") or (upload.filename if upload is not None else call.get("url"))
    fmt = call.get("format") or (
        Path(upload.filename or "").suffix.lstrip(".") if upload is not None else None
    )
    distribution = loader.add_distribution(
        call.session,
        actor=call.actor,
        resource_ref=package_id,
        name=str(name),
        description=call.get("description"),
        format=fmt,
        url=None if upload is not None else call.get("url"),
    )
    _take_upload(call, distribution.id)
    return _resource_result(call, distribution)


@action("resource_update")
def resource_update(call: Call) -> dict[str, Any]:
    distribution = loader.update_distribution(
        call.session,
        actor=call.actor,
        distribution_id=str(call.require("id")),
        changes={k: call.get(k) for k in ("name", "description", "url", "format") if call.get(k)},
    )
    _take_upload(call, distribution.id)
    return _resource_result(call, distribution)


@action("resource_patch")
def resource_patch(call: Call) -> dict[str, Any]:
    return resource_update(call)


__all__ = ["ACTIONS", "parse_fq", "render_error", "router", "validation_details"]
