"""The power list and the service items: registering, revising (a new version each time) and
reading them. Cases keep the version they were filed under."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import yiwang.cases.messages  # noqa: F401  (registers the engine's messages)
from yiwang.cases.models import ItemVersion, Power, ServiceItem
from yiwang.cases.schemas import ItemCreate, ItemVersionSpec, PowerCreate
from yiwang.cases.vocab import ItemKind
from yiwang.core import audit, cache, contracts, identity
from yiwang.core.codes import division_name
from yiwang.core.db import utcnow
from yiwang.core.errors import Conflict, InvalidInput, NotFound
from yiwang.core.identity import Department
from yiwang.core.policy import Actor, can_manage_service_items, require

ITEMS = "cases.items"  # cache namespace: what filing needs of an item (see :func:`filing_target`)
_CHANGED_IN = "yiwang.cases.items_changed_in"  # the transaction that changed an item, if any


@dataclass(frozen=True, slots=True)
class FilingTarget:
    """What filing a case needs of an item, kept per process: the item's identity and state,
    its department's division, and its current version (a detached row, read only: versions
    are never changed, a revision adds one)."""

    id: int
    code: str
    kind: str
    state: str
    department_id: int
    division_code: str
    version: ItemVersion
    power_category: str | None = None

    def as_contract(self) -> contracts.CaseItem:
        """The item as other engines see it (:mod:`yiwang.core.contracts`)."""
        return contracts.CaseItem(
            code=self.code,
            kind=self.kind,
            name=self.version.name,
            department_id=self.department_id,
            state=self.state,
            power_category=self.power_category,
        )


def create_power(session: Session, *, actor: Actor, data: PowerCreate) -> Power:
    """Add an administrative power to a department's power list."""
    department = identity.get_department(session, data.department_id)
    require(
        can_manage_service_items(actor, department_id=department.id),
        "cases.power.create",
        object_type="power",
    )
    if session.scalar(select(Power.id).where(Power.code == data.code)):
        raise Conflict("cases.duplicate_code", value=data.code)
    power = Power(**data.model_dump())
    session.add(power)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="cases.power.create",
        object_type="power",
        object_id=power.id,
        details={"code": power.code},
    )
    return power


def list_powers(session: Session, *, department_id: int | None = None) -> list[Power]:
    query = select(Power).order_by(Power.code)
    if department_id is not None:
        query = query.where(Power.department_id == department_id)
    return list(session.scalars(query))


def _check_spec(session: Session, kind: str, spec: ItemVersionSpec) -> None:
    """Departments named by steps and routing must exist; routing keys must be divisions."""
    slugs = {slug for step in spec.steps for slug in step.departments}
    for key, slug in spec.routing.items():
        if key != "default" and division_name(key) is None:
            raise InvalidInput("codes.division_invalid", value=key)
        slugs.add(slug)
    for slug in sorted(slugs):
        identity.find_department(session, slug)
    if kind == ItemKind.COMPLAINT_CATEGORY and spec.materials:
        raise InvalidInput("cases.complaint_materials")


def _new_version(
    session: Session, item: ServiceItem, spec: ItemVersionSpec, number: int, actor: Actor
) -> ItemVersion:
    fields = ItemVersionSpec.model_fields
    values = spec.model_dump(mode="json", include=set(fields))
    version = ItemVersion(item_id=item.id, number=number, created_by_id=actor.user_id, **values)
    session.add(version)
    session.flush()
    item.current_version_id = version.id
    item.modified_at = utcnow()
    cache.bump(session, ITEMS)
    session.info[_CHANGED_IN] = session.get_transaction()
    return version


def create_item(session: Session, *, actor: Actor, data: ItemCreate) -> ServiceItem:
    """Register a service item (or a complaint category) with its first version."""
    department = identity.get_department(session, data.department_id)
    require(
        can_manage_service_items(actor, department_id=department.id),
        "cases.item.create",
        object_type="service_item",
    )
    if session.scalar(select(ServiceItem.id).where(ServiceItem.code == data.code)):
        raise Conflict("cases.duplicate_code", value=data.code)
    power_id = None
    if data.power_code:
        power = session.scalars(select(Power).where(Power.code == data.power_code)).first()
        if power is None:
            raise NotFound("power", data.power_code)
        power_id = power.id
    _check_spec(session, data.kind, data)
    now = utcnow()
    item = ServiceItem(
        code=data.code,
        kind=data.kind,
        department_id=department.id,
        power_id=power_id,
        state="active",
        created_at=now,
        modified_at=now,
    )
    session.add(item)
    session.flush()
    _new_version(session, item, data, 1, actor)
    audit.record(
        session,
        actor=actor,
        action="cases.item.create",
        object_type="service_item",
        object_id=item.code,
        details={"kind": item.kind, "department_id": department.id},
    )
    return item


def revise_item(session: Session, *, actor: Actor, code: str, data: ItemVersionSpec) -> ItemVersion:
    """Make ``data`` the item's new current version; cases already filed keep theirs."""
    item = get_item(session, code=code)
    require(
        can_manage_service_items(actor, department_id=item.department_id),
        "cases.item.revise",
        object_type="service_item",
        object_id=code,
    )
    _check_spec(session, item.kind, data)
    last = session.scalar(
        select(ItemVersion.number)
        .where(ItemVersion.item_id == item.id)
        .order_by(ItemVersion.number.desc())
        .limit(1)
    )
    version = _new_version(session, item, data, (last or 0) + 1, actor)
    audit.record(
        session,
        actor=actor,
        action="cases.item.revise",
        object_type="service_item",
        object_id=code,
        details={"version": version.number},
    )
    return version


def get_item(session: Session, *, code: str) -> ServiceItem:
    """Return the item with this code (service items are public), or raise NotFound."""
    item = session.scalars(select(ServiceItem).where(ServiceItem.code == code)).first()
    if item is None:
        raise NotFound("service_item", code)
    return item


def current_version(session: Session, item: ServiceItem) -> ItemVersion:
    version = session.get(ItemVersion, item.current_version_id)
    if version is None:  # pragma: no cover  (every item is created with a version)
        raise NotFound("item_version", item.code)
    return version


def filing_target(session: Session, *, code: str) -> FilingTarget:
    """Return what filing needs of the item with this code, from this process's cache when it
    holds it (one query on a miss), or raise NotFound. A registration or revision anywhere is
    seen within the cache's window (at once in the process that made it)."""
    store = cache.of(session)
    if session.info.get(_CHANGED_IN) is session.get_transaction():
        store = None  # this transaction changed items: the cache cannot know yet
    if store is not None:
        held = store.get(session, ITEMS, code)
        if held is not cache.MISSING:
            return held  # type: ignore[no-any-return]
    generation = store.begin_load(session, ITEMS) if store is not None else 0
    row = session.execute(
        select(ServiceItem, ItemVersion, Department.division_code, Power.category)
        .join(ItemVersion, ItemVersion.id == ServiceItem.current_version_id)
        .join(Department, Department.id == ServiceItem.department_id)
        .outerjoin(Power, Power.id == ServiceItem.power_id)
        .where(ServiceItem.code == code)
    ).first()
    if row is None:
        raise NotFound("service_item", code)
    item, version, division_code, power_category = row
    target = FilingTarget(
        id=item.id,
        code=item.code,
        kind=item.kind,
        state=item.state,
        department_id=item.department_id,
        division_code=division_code,
        version=_detached_copy(version),
        power_category=power_category,
    )
    if store is not None:
        store.put(ITEMS, code, target, generation=generation)
    return target


def case_item(session: Session, code: str) -> contracts.CaseItem | None:
    """The item with this code as other engines see it, or None: the cases engine's answer to
    :func:`yiwang.core.contracts.find_case_item`."""
    try:
        return filing_target(session, code=code).as_contract()
    except NotFound:
        return None


def _detached_copy(version: ItemVersion) -> ItemVersion:
    """A copy of the version that belongs to no session, so that any thread may read it."""
    columns = ItemVersion.__table__.columns.keys()
    return ItemVersion(**{key: copy.deepcopy(getattr(version, key)) for key in columns})


def list_items(
    session: Session,
    *,
    kind: str | None = None,
    department_id: int | None = None,
    theme: str | None = None,
    life_event: str | None = None,
    active_only: bool = True,
) -> list[tuple[ServiceItem, ItemVersion]]:
    """Items with their current versions, by code; with ``theme`` or ``life_event``, those
    whose current version lists it."""
    query = (
        select(ServiceItem, ItemVersion)
        .join(ItemVersion, ItemVersion.id == ServiceItem.current_version_id)
        .order_by(ServiceItem.code)
    )
    if kind is not None:
        query = query.where(ServiceItem.kind == kind)
    if department_id is not None:
        query = query.where(ServiceItem.department_id == department_id)
    if active_only:
        query = query.where(ServiceItem.state == "active")
    rows = [(row[0], row[1]) for row in session.execute(query)]
    # Items are a few hundred at most: matching a JSON list here reads the same on SQLite
    # and PostgreSQL, where a containment test would not.
    if theme is not None:
        rows = [(i, v) for i, v in rows if theme in (v.themes or [])]
    if life_event is not None:
        rows = [(i, v) for i, v in rows if life_event in (v.life_events or [])]
    return rows


def _search_rank(terms: list[str], item: ServiceItem, version: ItemVersion) -> int | None:
    """How well the item answers every term: 0 when the name (or the English name, or the
    code) holds them all, 1 when each term is in the name or is one of the item's search words
    (检索词), 2 when the description is needed too; None when a term is found nowhere."""
    names = " ".join(part or "" for part in (version.name, version.name_en, item.code)).lower()
    words = [w.lower() for w in version.keywords or []]
    description = (version.description or "").lower()
    rank = 0
    for term in terms:
        if term in names:
            continue
        if any(term in word for word in words):
            rank = max(rank, 1)
        elif term in description:
            rank = 2
        else:
            return None
    return rank


def search_items(
    session: Session,
    *,
    q: str,
    kinds: tuple[str, ...] = (ItemKind.SERVICE, ItemKind.COMPLAINT_CATEGORY),
) -> list[tuple[ServiceItem, ItemVersion]]:
    """Active items of ``kinds`` whose name, English name, code, search words (检索词) or
    description hold every word of ``q`` (split at spaces, any case): those found by name
    first, then by a search word, then by the description, each group by code."""
    terms = [t for t in q.lower().split() if t]
    if not terms:
        return []
    ranked = [
        (rank, item.code, item, version)
        for item, version in list_items(session)
        if item.kind in kinds and (rank := _search_rank(terms, item, version)) is not None
    ]
    ranked.sort(key=lambda r: (r[0], r[1]))
    return [(item, version) for _, _, item, version in ranked]


def last_modified(session: Session, *, kind: str) -> dt.datetime | None:
    """When an item of this kind was last registered or revised, or None if there is none."""
    return session.scalar(select(func.max(ServiceItem.modified_at)).where(ServiceItem.kind == kind))


def item_versions(session: Session, *, code: str) -> Sequence[ItemVersion]:
    item = get_item(session, code=code)
    return list(
        session.scalars(
            select(ItemVersion).where(ItemVersion.item_id == item.id).order_by(ItemVersion.number)
        )
    )
