"""What the home page shows: live figures of the network and a search across it. Every number
comes from an engine's public service, read as the anonymous public sees it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from yiwang.cases import public as cases
from yiwang.cases.public import ItemKind
from yiwang.catalog import public as catalog
from yiwang.core import identity
from yiwang.core.policy import ANONYMOUS, Actor
from yiwang.portal.searchwords import installed_examples
from yiwang.sensing import public as sensing

MAX_QUERY = 200


@dataclass(frozen=True, slots=True)
class Figures:
    """Counts of what the public can reach on the network now."""

    datasets: int  # open data resources in the catalogue
    datastreams: int  # open sensor datastreams
    open_alerts: int  # alerts on open data not yet resolved
    service_items: int  # service items citizens can apply for
    departments: int


def figures(session: Session) -> Figures:
    """The network's figures as the anonymous public sees them (the same for every visitor,
    so a signed-in member of staff does not see their department's closed data counted)."""
    actor = ANONYMOUS
    datasets = catalog.search(session, actor=actor, limit=1).count
    datastreams = sensing.count_streams(session, actor=actor)
    _, open_alerts = sensing.list_alerts(
        session, actor=actor, filters=sensing.AlertFilters(state="open"), limit=1
    )
    _, departments = identity.list_departments(session, actor=actor, limit=1)
    return Figures(
        datasets=datasets,
        datastreams=datastreams,
        open_alerts=open_alerts,
        service_items=len(cases.list_items(session, kind=ItemKind.SERVICE)),
        departments=departments,
    )


@dataclass(frozen=True, slots=True)
class ItemHit:
    code: str
    kind: str
    name: str
    name_en: str | None
    department_id: int
    promised_limit_days: int | None
    trips: int | None


@dataclass(frozen=True, slots=True)
class NetworkResults:
    q: str
    dataset_count: int
    datasets: list[Any]  # the catalogue's resources found, for catalog.package_dict
    items: list[ItemHit]


def search_network(
    session: Session, *, actor: Actor, q: str, dataset_limit: int = 10, item_limit: int = 20
) -> NetworkResults:
    """Datasets by the catalogue's Chinese full-text search, and service items and complaint
    categories (not task items, which no one applies for) found by the cases engine's search
    (names, search words such as 营业执照 for 企业设立登记, descriptions)."""
    q = q.strip()[:MAX_QUERY]
    found = catalog.search(session, actor=actor, q=q, limit=dataset_limit)
    hits = [
        ItemHit(
            code=item.code,
            kind=item.kind,
            name=version.name,
            name_en=version.name_en,
            department_id=item.department_id,
            promised_limit_days=version.promised_limit_days,
            trips=version.trips,
        )
        for item, version in cases.search_items(session, q=q)[:item_limit]
    ]
    return NetworkResults(q=q, dataset_count=found.count, datasets=found.resources, items=hits)


def search_examples(session: Session, *, data: int, services: int) -> list[str]:
    """Up to ``data`` words that find an open dataset, then up to ``services`` that find a
    service item or complaint category, from the ``[search]`` examples of the installed packs:
    each tried as the anonymous public would search, so a suggestion always finds something."""
    declared = installed_examples(session)
    found_data = [
        word
        for word in declared.data[: data * 3]
        if catalog.search(session, actor=ANONYMOUS, q=word, limit=1).count
    ]
    found_services = [
        word for word in declared.services[: services * 3] if cases.search_items(session, q=word)
    ]
    return found_data[:data] + found_services[:services]


def department_names(session: Session, *, zh: bool) -> dict[int, str]:
    """Names of the departments on the network, by id, in the page's language."""
    departments, _ = identity.list_departments(session, actor=ANONYMOUS, limit=1000)
    return {d.id: d.name_zh if zh else (d.name_en or d.name_zh) for d in departments}
