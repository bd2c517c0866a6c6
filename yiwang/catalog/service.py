"""The catalogue: registering, editing, publishing, deleting and finding resources."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, false, func, or_, select, true
from sqlalchemy.orm import Session

import yiwang.catalog.messages  # noqa: F401  (registers the engine's messages)
from yiwang.catalog import search as text_search
from yiwang.catalog.models import (
    Distribution,
    Resource,
    ResourceRevision,
    ResourceTag,
    SearchTerm,
    TableVersion,
)
from yiwang.catalog.schemas import ResourceCreate, ResourceFields
from yiwang.catalog.vocab import CATEGORIES, LICENSES, OpenClass, State, label
from yiwang.core import audit, cache, identity
from yiwang.core.codes import division_full_name
from yiwang.core.db import utcnow
from yiwang.core.errors import Conflict, InvalidInput, NotFound
from yiwang.core.identity import Department
from yiwang.core.policy import (
    Actor,
    can_delete_resource,
    can_edit_resource,
    can_restore_resource,
    can_see_resource,
    require,
)

CATALOG = "catalog"  # cache namespace: search facets and counts
FACETS = (
    "organization",
    "groups",
    "tags",
    "res_format",
    "city",
    "open_class",
    "share_class",
    "update_frequency",
    "license_id",
)


# --- rules ---------------------------------------------------------------------------------------


def _check_rules(values: Mapping[str, Any]) -> None:
    for klass_field, klass, conditions in (
        ("share_class", values.get("share_class"), "share_conditions"),
        ("open_class", values.get("open_class"), "open_conditions"),
    ):
        if klass in ("conditional", "none") and not (values.get(conditions) or "").strip():
            kind = "share" if klass_field == "share_class" else "open"
            raise InvalidInput(
                "catalog.conditions_required", klass=label(kind, klass), field=conditions
            )
    category = values.get("category")
    if category and category not in CATEGORIES:
        raise InvalidInput("catalog.unknown_category", value=category)
    license_id = values.get("license_id")
    if license_id and license_id not in LICENSES:
        raise InvalidInput("catalog.unknown_license", value=license_id)


def _clean_tags(tags: Sequence[str]) -> list[str]:
    seen: dict[str, None] = {}
    for tag in tags:
        cleaned = " ".join(str(tag).split())[:100]
        if cleaned:
            seen.setdefault(cleaned, None)
    return list(seen)


# --- visibility ----------------------------------------------------------------------------------


def visible_to(actor: Actor) -> ColumnElement[bool]:
    """The SQL form of ``policy.can_see_resource`` (the two are tested together)."""
    if actor.is_sysadmin:
        return true()
    own = (
        Resource.department_id == actor.department_id
        if actor.department_id is not None and actor.role is not None
        else false()
    )
    if actor.department_id is not None and actor.role is not None:
        others = Resource.state == State.ACTIVE
    else:
        others = and_(
            Resource.state == State.ACTIVE,
            Resource.open_class.in_([OpenClass.UNCONDITIONAL, OpenClass.CONDITIONAL]),
        )
    return or_(and_(own, Resource.state != State.DELETED), others)


def _see(actor: Actor, resource: Resource) -> bool:
    return can_see_resource(
        actor,
        department_id=resource.department_id,
        state=resource.state,
        share_class=resource.share_class,
        open_class=resource.open_class,
    )


def get_resource(session: Session, *, actor: Actor, ref: str) -> Resource:
    """Return the resource with this id, name or code if ``actor`` may see it; a resource
    the actor may not see does not exist for them."""
    resource = session.scalars(
        select(Resource).where(or_(Resource.id == ref, Resource.name == ref, Resource.code == ref))
    ).first()
    if resource is None or not _see(actor, resource):
        raise NotFound("resource", ref)
    return resource


# --- writing -------------------------------------------------------------------------------------


def _make_code(session: Session, department: Department) -> str:
    year = utcnow().year
    prefix = f"{department.division_code}-{department.slug.upper()}-{year}-"
    taken = (
        session.scalar(
            select(func.count()).select_from(Resource).where(Resource.code.like(f"{prefix}%"))
        )
        or 0
    )
    return f"{prefix}{taken + 1:04d}"


def _index(session: Session, resource: Resource, department: Department) -> None:
    session.execute(delete(SearchTerm).where(SearchTerm.resource_id == resource.id))
    terms = text_search.index_terms(
        [
            (resource.title, text_search.TITLE),
            (resource.title_en, text_search.TITLE),
            (" ".join(t.tag for t in resource.tags), text_search.TAG),
            (resource.summary, text_search.BODY),
            (department.name_zh, text_search.BODY),
            (label("category", resource.category), text_search.BODY),
            (" ".join(str(f.get("name", "")) for f in resource.fields), text_search.BODY),
            (resource.code, text_search.BODY),
        ]
    )
    session.add_all(
        SearchTerm(term=term, resource_id=resource.id, weight=weight)
        for term, weight in terms.items()
    )


def _revise(session: Session, resource: Resource, *, actor: Actor, action: str) -> None:
    session.add(
        ResourceRevision(
            resource_id=resource.id,
            revision=resource.revision,
            action=action,
            snapshot=metadata_dict(resource),
            changed_by_id=actor.user_id,
        )
    )


def _set_tags(resource: Resource, tags: Sequence[str]) -> None:
    wanted = sorted(_clean_tags(tags))
    resource.tags = [ResourceTag(resource_id=resource.id, tag=t) for t in wanted]


def _changed(
    session: Session,
    resource: Resource,
    *,
    actor: Actor,
    action: str,
    details: dict[str, Any] | None = None,
) -> None:
    """Index, keep a revision, invalidate caches and audit, after any change."""
    session.flush()
    department = identity.get_department(session, resource.department_id)
    _index(session, resource, department)
    _revise(session, resource, actor=actor, action=action)
    cache.bump(session, CATALOG)
    audit.record(
        session,
        actor=actor,
        action=f"resource.{action}",
        object_type="resource",
        object_id=resource.id,
        details={"code": resource.code, **(details or {})},
    )


def create_resource(session: Session, *, actor: Actor, data: ResourceCreate) -> Resource:
    """Register a resource (as a draft unless ``data.state`` says active)."""
    department = identity.get_department(session, data.department_id)
    require(
        can_edit_resource(actor, department_id=department.id),
        "resource.create",
        object_type="resource",
    )
    values = data.model_dump()
    _check_rules(values)
    code = data.code or _make_code(session, department)
    name = data.name or code.lower().replace("/", "-").replace(".", "-")
    if session.scalar(select(Resource.id).where(Resource.code == code)):
        raise Conflict("catalog.duplicate_code", value=code)
    if session.scalar(select(Resource.id).where(Resource.name == name)):
        raise Conflict("catalog.duplicate_name", value=name)
    now = utcnow()
    resource = Resource(
        id=str(uuid.uuid4()),
        name=name,
        code=code,
        department_id=department.id,
        state=data.state,
        revision=1,
        modified_at=now,
        created_by_id=actor.user_id,
        **{k: v for k, v in values.items() if k in _EDITABLE and k != "tags"},
    )
    if data.state == "active" and resource.publish_date is None:
        resource.publish_date = now.date()
    session.add(resource)
    _set_tags(resource, data.tags)
    _changed(session, resource, actor=actor, action="create")
    return resource


_EDITABLE = set(ResourceFields.model_fields)


def update_resource(
    session: Session, *, actor: Actor, ref: str, changes: Mapping[str, Any]
) -> Resource:
    """Change the given metadata fields (unknown keys are ignored); keep a revision."""
    resource = get_resource(session, actor=actor, ref=ref)
    require(
        can_edit_resource(actor, department_id=resource.department_id),
        "resource.update",
        object_type="resource",
        object_id=resource.id,
    )
    merged = {**metadata_values(resource), **{k: v for k, v in changes.items() if k in _EDITABLE}}
    validated = ResourceFields.model_validate(merged).model_dump()
    _check_rules(validated)
    changed = sorted(
        k for k in changes if k in _EDITABLE and validated[k] != metadata_values(resource).get(k)
    )
    for key in _EDITABLE - {"tags"}:
        setattr(resource, key, validated[key])
    _set_tags(resource, validated["tags"])
    resource.revision += 1
    resource.modified_at = utcnow()
    _changed(session, resource, actor=actor, action="update", details={"fields": changed})
    return resource


def publish_resource(session: Session, *, actor: Actor, ref: str) -> Resource:
    resource = get_resource(session, actor=actor, ref=ref)
    require(
        can_edit_resource(actor, department_id=resource.department_id),
        "resource.publish",
        object_type="resource",
        object_id=resource.id,
    )
    if resource.state != State.ACTIVE:
        resource.state = State.ACTIVE
        resource.publish_date = resource.publish_date or utcnow().date()
        resource.revision += 1
        resource.modified_at = utcnow()
        _changed(session, resource, actor=actor, action="publish")
    return resource


def delete_resource(session: Session, *, actor: Actor, ref: str) -> Resource:
    """Soft-delete: the resource disappears for everyone but sysadmins, who can restore it."""
    resource = get_resource(session, actor=actor, ref=ref)
    require(
        can_delete_resource(actor, department_id=resource.department_id),
        "resource.delete",
        object_type="resource",
        object_id=resource.id,
    )
    resource.state = State.DELETED
    resource.deleted_at = utcnow()
    resource.revision += 1
    resource.modified_at = utcnow()
    _changed(session, resource, actor=actor, action="delete")
    return resource


def restore_resource(session: Session, *, actor: Actor, ref: str) -> Resource:
    require(can_restore_resource(actor), "resource.restore", object_type="resource", object_id=ref)
    resource = session.scalars(
        select(Resource).where(or_(Resource.id == ref, Resource.name == ref, Resource.code == ref))
    ).first()
    if resource is None:
        raise NotFound("resource", ref)
    if resource.state != State.DELETED:
        raise InvalidInput("catalog.not_deleted", value=ref)
    resource.state = State.ACTIVE
    resource.deleted_at = None
    resource.revision += 1
    resource.modified_at = utcnow()
    _changed(session, resource, actor=actor, action="restore")
    return resource


def history(session: Session, *, actor: Actor, ref: str) -> list[ResourceRevision]:
    """Return the revisions of a resource, newest first."""
    resource = get_resource(session, actor=actor, ref=ref)
    return list(
        session.scalars(
            select(ResourceRevision)
            .where(ResourceRevision.resource_id == resource.id)
            .order_by(ResourceRevision.revision.desc())
        )
    )


# --- representation ------------------------------------------------------------------------------


def current_versions(session: Session, resource: Resource) -> dict[str, TableVersion]:
    """The table version each distribution of ``resource`` serves now, by distribution id."""
    ids = {d.current_version_id: d.id for d in resource.distributions if d.current_version_id}
    if not ids:
        return {}
    versions = session.scalars(select(TableVersion).where(TableVersion.id.in_(ids)))
    return {ids[v.id]: v for v in versions}


def metadata_values(resource: Resource) -> dict[str, Any]:
    """The editable metadata as plain values."""
    values = {key: getattr(resource, key) for key in _EDITABLE if key != "tags"}
    values["tags"] = [t.tag for t in resource.tags]
    return values


def metadata_dict(resource: Resource) -> dict[str, Any]:
    values = metadata_values(resource)
    for key, value in list(values.items()):
        if isinstance(value, dt.date):
            values[key] = value.isoformat()
    return {
        "id": resource.id,
        "name": resource.name,
        "code": resource.code,
        "department_id": resource.department_id,
        "state": resource.state,
        **values,
    }


# --- finding -------------------------------------------------------------------------------------


@dataclass
class SearchResult:
    count: int
    resources: list[Resource]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


_SORTS: dict[str, ColumnElement[Any]] = {
    "metadata_modified desc": Resource.modified_at.desc(),
    "metadata_modified asc": Resource.modified_at.asc(),
    "metadata_created desc": Resource.created_at.desc(),
    "metadata_created asc": Resource.created_at.asc(),
    "title_string asc": Resource.title.asc(),
    "title_string desc": Resource.title.desc(),
    "name asc": Resource.name.asc(),
    "name desc": Resource.name.desc(),
}


def _formats() -> Any:
    """(resource_id, FORMAT) for the declared format of each resource and the format of each
    of its live distributions, so that filter and facet count the same thing."""
    declared = select(
        Resource.id.label("resource_id"), func.upper(Resource.format).label("format")
    ).where(Resource.format.is_not(None))
    distributed = select(
        Distribution.resource_id.label("resource_id"),
        func.upper(Distribution.format).label("format"),
    ).where(Distribution.format.is_not(None), Distribution.state == "active")
    return declared.union(distributed)


def _filter_clause(name: str, values: Sequence[str]) -> ColumnElement[bool]:
    if name in ("organization", "owner_org"):
        ids = select(Department.id).where(
            or_(
                Department.slug.in_(values),
                Department.id.in_([int(v) for v in values if v.isdigit()]),
            )
        )
        return Resource.department_id.in_(ids)
    if name == "groups":
        return Resource.category.in_(values)
    if name == "tags":
        return Resource.id.in_(select(ResourceTag.resource_id).where(ResourceTag.tag.in_(values)))
    if name == "res_format":
        formats = _formats().subquery()
        return Resource.id.in_(
            select(formats.c.resource_id).where(formats.c.format.in_([v.upper() for v in values]))
        )
    if name == "city":
        cities: list[ColumnElement[bool]] = [
            Resource.spatial_division.like(f"{v[:4]}%") for v in values if v.isdigit()
        ]
        return or_(false(), *cities)
    if name in (
        "open_class",
        "share_class",
        "update_frequency",
        "license_id",
        "catalog_type",
        "state",
        "name",
        "code",
        "spatial_division",
    ):
        return getattr(Resource, name).in_(values)  # type: ignore[no-any-return]
    raise InvalidInput("catalog.unknown_field", value=name)


def search(
    session: Session,
    *,
    actor: Actor,
    q: str | None = None,
    filters: Mapping[str, Sequence[str]] | None = None,
    sort: str | None = None,
    limit: int = 20,
    offset: int = 0,
    facet_fields: Sequence[str] = (),
    facet_limit: int = 50,
) -> SearchResult:
    """Find the resources ``actor`` may see: Chinese full text in ``q`` (every term must
    match), ``filters`` by facet (values of one facet are alternatives), with facet counts.

    Answers are kept in this process's coherent cache until the catalogue changes anywhere
    (any write bumps the ``catalog`` namespace): the same search is answered from memory."""
    key = (
        _audience(actor),
        (q or "").strip(),
        tuple(sorted((k, tuple(v)) for k, v in (filters or {}).items() if v)),
        sort,
        limit,
        offset,
        tuple(facet_fields),
        facet_limit,
    )
    store = cache.of(session)
    if store is not None:
        hit = store.get(session, CATALOG, ("search", key))
        if hit is not cache.MISSING:
            count, ids, facets = hit
            found = {r.id: r for r in session.scalars(select(Resource).where(Resource.id.in_(ids)))}
            return SearchResult(
                count=count, resources=[found[i] for i in ids if i in found], facets=facets
            )
        generation = store.begin_load(session, CATALOG)
    result = _search(
        session,
        actor=actor,
        q=q,
        filters=filters,
        sort=sort,
        limit=limit,
        offset=offset,
        facet_fields=facet_fields,
        facet_limit=facet_limit,
    )
    if store is not None:
        store.put(
            CATALOG,
            ("search", key),
            (result.count, [r.id for r in result.resources], result.facets),
            generation=generation,
        )
    return result


def _audience(actor: Actor) -> tuple[Any, ...]:
    """Who sees the same catalogue: sysadmins, one department's staff, signed-in people,
    the anonymous public (see :func:`visible_to`)."""
    if actor.is_sysadmin:
        return ("sysadmin",)
    if actor.department_id is not None and actor.role is not None:
        return ("department", actor.department_id)
    return ("public", not actor.is_anonymous)


def _search(
    session: Session,
    *,
    actor: Actor,
    q: str | None,
    filters: Mapping[str, Sequence[str]] | None,
    sort: str | None,
    limit: int,
    offset: int,
    facet_fields: Sequence[str],
    facet_limit: int,
) -> SearchResult:
    conditions: list[ColumnElement[bool]] = [visible_to(actor)]
    if "state" not in (filters or {}):
        conditions.append(Resource.state != State.DELETED)  # deleted ones only when asked for
    for name, values in (filters or {}).items():
        if values:
            conditions.append(_filter_clause(name, list(values)))
    score = None
    if q and q.strip():
        matched = _match(session, q)
        conditions.append(
            Resource.id.in_(select(matched.c.resource_id)) if matched is not None else false()
        )
        score = matched
    base = select(Resource.id).where(*conditions)
    count = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    query = select(Resource).where(*conditions)
    order = _SORTS.get((sort or "").strip().lower())
    if order is None and score is not None:
        query = query.join(score, score.c.resource_id == Resource.id).order_by(
            score.c.score.desc(), Resource.modified_at.desc()
        )
    else:
        query = query.order_by(
            order if order is not None else Resource.modified_at.desc(), Resource.id
        )
    resources = list(session.scalars(query.limit(limit).offset(offset)))
    facets = {
        name: _facet(session, name, conditions, facet_limit)
        for name in facet_fields
        if name in FACETS
    }
    return SearchResult(count=count, resources=resources, facets=facets)


def _match(session: Session, q: str) -> Any:
    """A subquery of (resource_id, score) for the resources matching every term of ``q``."""
    for terms in (text_search.query_terms(q), text_search.index_fallback_terms(q)):
        if not terms:
            continue
        matched = (
            select(SearchTerm.resource_id, func.sum(SearchTerm.weight).label("score"))
            .where(SearchTerm.term.in_(terms))
            .group_by(SearchTerm.resource_id)
            .having(func.count() == len(terms))
            .subquery()
        )
        if session.scalar(select(func.count()).select_from(matched)):
            return matched
    return None


_FACET_COLUMNS = {
    "groups": Resource.category,
    "open_class": Resource.open_class,
    "share_class": Resource.share_class,
    "update_frequency": Resource.update_frequency,
    "license_id": Resource.license_id,
}


def _facet(
    session: Session, name: str, conditions: list[ColumnElement[bool]], limit: int
) -> dict[str, int]:
    ids = select(Resource.id).where(*conditions).scalar_subquery()
    if name == "organization":
        rows = session.execute(
            select(Department.slug, func.count())
            .join(Resource, Resource.department_id == Department.id)
            .where(Resource.id.in_(ids))
            .group_by(Department.slug)
        )
    elif name == "tags":
        rows = session.execute(
            select(ResourceTag.tag, func.count())
            .where(ResourceTag.resource_id.in_(ids))
            .group_by(ResourceTag.tag)
        )
    elif name == "res_format":
        formats = _formats().subquery()
        rows = session.execute(
            select(formats.c.format, func.count(formats.c.resource_id.distinct()))
            .where(formats.c.resource_id.in_(ids))
            .group_by(formats.c.format)
        )
    elif name == "city":
        city = func.substr(Resource.spatial_division, 1, 4)
        rows = session.execute(
            select(city, func.count())
            .where(Resource.id.in_(ids), Resource.spatial_division.is_not(None))
            .group_by(city)
        )
        rows = [(f"{prefix}00", n) for prefix, n in rows]  # type: ignore[assignment]
    else:
        column = _FACET_COLUMNS[name]
        rows = session.execute(
            select(column, func.count())
            .where(Resource.id.in_(ids), column.is_not(None))
            .group_by(column)
        )
    counts = {str(key): int(n) for key, n in rows if key is not None}
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit])


def visible_names(
    session: Session, *, actor: Actor, limit: int | None = None, offset: int = 0
) -> list[str]:
    query = select(Resource.name).where(visible_to(actor)).order_by(Resource.name).offset(offset)
    return list(session.scalars(query.limit(limit) if limit else query))


def tag_list(session: Session, *, actor: Actor, query: str | None = None) -> list[str]:
    ids = select(Resource.id).where(visible_to(actor)).scalar_subquery()
    stmt = (
        select(ResourceTag.tag)
        .where(ResourceTag.resource_id.in_(ids))
        .distinct()
        .order_by(ResourceTag.tag)
    )
    if query:
        stmt = stmt.where(ResourceTag.tag.like(f"%{query}%"))
    return list(session.scalars(stmt))


def department_counts(session: Session, *, actor: Actor) -> dict[int, int]:
    rows = session.execute(
        select(Resource.department_id, func.count())
        .where(visible_to(actor))
        .group_by(Resource.department_id)
    )
    return {int(d): int(n) for d, n in rows}


def category_counts(session: Session, *, actor: Actor) -> dict[str, int]:
    rows = session.execute(
        select(Resource.category, func.count())
        .where(visible_to(actor), Resource.category.is_not(None))
        .group_by(Resource.category)
    )
    return {str(c): int(n) for c, n in rows}


def spatial_name(code: str | None) -> str | None:
    return division_full_name(code) if code else None
