"""The catalog's demo, as someone exploring ``yiwang serve --demo`` finds it: a catalogue that
spans the province, searchable, with open data masked for the public, valid codes, and data
that other departments must ask for. The demo's resources are the shipped packs'
[[catalog.datasets]], their rows drawn by the packs' generators (``demo_rows``)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum.cn import ric, uscc

from tests.support.databases import BoundDatabase
from yiwang import engines
from yiwang.catalog import datastore, datastore_versions, service, sharing
from yiwang.catalog import packs as catalog_packs
from yiwang.catalog.datastore import Query
from yiwang.catalog.models import Resource
from yiwang.core import identity
from yiwang.core import packs as registry
from yiwang.core.codes import division_name
from yiwang.core.db import Database
from yiwang.core.errors import InvalidInput, NotFound, PermissionDenied
from yiwang.core.policy import ANONYMOUS, SYSTEM, Actor
from yiwang.demo import load_core

CITIES = {
    "330100",
    "330200",
    "330300",
    "330400",
    "330500",
    "330600",
    "330700",
    "330800",
    "330900",
    "331000",
    "331100",
}


def shipped_datasets() -> list[tuple[registry.Manifest, catalog_packs.PackDataset]]:
    """The [[catalog.datasets]] of the packs this software ships."""
    engines.load()  # every engine's section of pack.toml, so that the packs validate
    found = []
    for manifest in registry.found().values():
        if manifest.origin != "builtin":
            continue
        content = registry.validate(manifest).content.get("catalog")
        found += [(manifest, dataset) for dataset in (content.datasets if content else ())]
    return found


def install_catalog_demo(session: Session) -> None:
    """Install the shipped packs' datasets with their demo rows, as ``yiwang demo`` does (the
    other engines' sections are left out: this is the catalog's demo)."""
    engines.load()
    for manifest in registry.found().values():
        if manifest.origin != "builtin":
            continue
        content = registry.validate(manifest, session).content.get("catalog")
        if content is not None:
            catalog_packs.install_section(
                session,
                SYSTEM,
                manifest,
                content,
                registry.InstallReport(manifest.name, manifest.version, None),
                registry.InstallOptions(demo=True),
            )


@pytest.fixture(scope="module")
def demo_connection(database: Database) -> Iterator[Any]:
    """One connection per database holding the loaded demo in an outer transaction: the core
    demo hashes dozens of passwords, so it is loaded once for the module and rolled back after."""
    connection = database.engine.connect()
    outer = connection.begin()
    loader = BoundDatabase(database, connection)
    with loader.sessionmaker() as session:
        load_core(session)
        install_catalog_demo(session)
        session.commit()
    try:
        yield connection
    finally:
        outer.rollback()
        connection.close()


@pytest.fixture
def demo(database: Database, demo_connection: Any) -> Iterator[Session]:
    """A session on the demo, inside a SAVEPOINT rolled back after the test."""
    savepoint = demo_connection.begin_nested()
    bound = BoundDatabase(database, demo_connection)  # a cache of its own for each test
    try:
        with bound.sessionmaker() as session:
            yield session
    finally:
        if savepoint.is_active:
            savepoint.rollback()


def _staff(session: Session, username: str) -> Actor:
    return identity.actor_for(identity.get_user_by_username(session, username), via="session")


def _resource(session: Session, title: str) -> Resource:
    return session.scalars(select(Resource).where(Resource.title == title)).one()


def _table(session: Session, actor: Actor, resource: Resource) -> list[dict[str, Any]]:
    """Every row of a resource's one table as ``actor`` reads it, by column name."""
    result, _ = datastore.read(
        session,
        actor=actor,
        distribution_id=resource.distributions[0].id,
        query=Query(limit=1000),
    )
    names = [c.name for c in result.columns]
    return [dict(zip(names, record[1:], strict=True)) for record in result.records]


def test_the_catalogue_spans_departments_and_all_cities(demo: Session) -> None:
    staff = _staff(demo, "zjenv_member")  # government staff see the whole catalogue
    found = service.search(
        demo, actor=staff, limit=100, facet_fields=["organization", "city", "groups"]
    )
    resources = found.resources
    assert found.count == len(resources) >= 20
    assert all(r.state == "active" for r in resources)
    assert len(found.facets["organization"]) >= 10
    assert set(found.facets["city"]) >= CITIES | {"330000"}
    assert len(found.facets["groups"]) >= 10
    assert {r.share_class for r in resources} == {"unconditional", "conditional", "none"}
    assert {r.open_class for r in resources} == {"unconditional", "conditional", "none"}
    assert any(r.spatial_division == "330106" for r in resources)  # a county's own resource
    public = service.search(demo, actor=ANONYMOUS, limit=100, facet_fields=["city"])
    assert set(public.facets["city"]) >= CITIES  # the open portal too has data of every city
    assert public.count < found.count  # some resources are for government use only
    for resource in resources:
        assert resource.summary.endswith("（演示用合成数据）"), resource.title
        assert len(resource.distributions) == 1, resource.title
        version = datastore_versions.current_version(demo, resource.distributions[0])
        assert 0 < version.row_count <= 500, resource.title
        assert [c["name"] for c in version.columns] == [f["name"] for f in resource.fields]


def test_the_public_finds_hangzhou_air_quality(demo: Session) -> None:
    found = service.search(demo, actor=ANONYMOUS, q="空气质量")
    assert found.resources[0].title == "杭州市空气质量小时数据"
    air = found.resources[0]
    assert (air.spatial_division, air.update_frequency) == ("330100", "hourly")
    rows = _table(demo, ANONYMOUS, air)
    assert len({r["站点"] for r in rows}) >= 10
    for row in rows:
        aqi = row["AQI"]
        level = ("优", "良", "轻度污染", "中度污染", "重度污染")[min(max(aqi - 1, 0) // 50, 4)]
        assert row["等级"] == level
        assert (row["首要污染物"] is None) == (aqi <= 50)
        # HJ 633-2012: the AQI is the largest sub-index; PM2.5's from its 24-hour average.
        fine = _pm25_iaqi(float(row["PM2.5(24小时滑动平均)"]))
        assert aqi >= fine
        if aqi > 50:
            assert (aqi == fine) == ("PM2.5" in row["首要污染物"]), row


def _pm25_iaqi(concentration: float) -> int:
    points = (0, 35, 75, 115, 150, 250, 350, 500)
    indexes = (0, 50, 100, 150, 200, 300, 400, 500)
    for i in range(len(points) - 1):
        if concentration <= points[i + 1]:
            share = (concentration - points[i]) / (points[i + 1] - points[i])
            return math.ceil(round(indexes[i] + share * (indexes[i + 1] - indexes[i]), 6))
    return 500


def test_the_public_sees_legal_representatives_masked(demo: Session) -> None:
    licences = _resource(demo, "行政许可双公示")
    assert licences.open_class == "unconditional"
    public = _table(demo, ANONYMOUS, licences)
    own = _table(demo, _staff(demo, "zjmarket_editor"), licences)
    assert len(public) == len(own) >= 100
    for seen, real in zip(public, own, strict=True):
        assert re.fullmatch(r"[\u4e00-\u9fff]\*{1,3}", seen["法定代表人"]), seen
        assert "*" not in real["法定代表人"]
        assert seen["法定代表人"][0] == real["法定代表人"][0]  # the surname stays
        assert seen["统一社会信用代码"] == real["统一社会信用代码"]  # a firm's code is public


def test_every_credit_code_and_resident_id_is_valid(demo: Session) -> None:
    credit_codes: list[str] = []
    resident_ids: list[str] = []
    for resource in service.search(demo, actor=SYSTEM, limit=100).resources:
        rows = _table(demo, SYSTEM, resource)
        kinds = {f["name"]: f.get("personal") for f in resource.fields}
        for name, kind in kinds.items():
            if name == "统一社会信用代码":
                credit_codes += [row[name] for row in rows]
            if kind == "resident_id":
                resident_ids += [row[name] for row in rows]
    assert len(credit_codes) >= 800
    assert len(resident_ids) >= 300
    assert not [code for code in credit_codes if not uscc.is_valid(code)]
    # GB 11643: the check digit, a real birth date and a current Zhejiang division. (stdnum's
    # ric.is_valid also wants the county code to have existed in the birth year, which refuses
    # Lishui's 3311xx codes, given in 2000, for anyone born earlier.)
    for number in resident_ids:
        assert ric.calc_check_digit(number) == number[-1], number
        assert 1930 < ric.get_birth_date(number).year < 2008, number
        assert number.startswith("33"), number
        assert division_name(number[:6]), number
    assert len(set(resident_ids)) == len(resident_ids)


def test_other_departments_must_ask_for_compensation_payments(demo: Session) -> None:
    payments = _resource(demo, "丽水市生态补偿资金发放名单")
    assert (payments.share_class, payments.open_class) == ("conditional", "none")
    assert "个人信息" in (payments.open_conditions or "")
    member = _staff(demo, "zjenv_member")
    distribution = payments.distributions[0].id
    with pytest.raises(PermissionDenied):
        datastore.read(demo, actor=member, distribution_id=distribution, query=Query())
    with pytest.raises(NotFound):  # not open: the public does not see the entry at all
        datastore.read(demo, actor=ANONYMOUS, distribution_id=distribution, query=Query())
    request = sharing.request_share(
        demo,
        actor=member,
        resource_ref=payments.id,
        purpose="省级生态补偿资金绩效评价",
        fields=["姓名", "区县", "发放金额(元)"],
        duration_days=30,
    )
    sharing.decide(demo, actor=_staff(demo, "lsenv_admin"), request_id=request.id, approve=True)
    result, _ = datastore.read(demo, actor=member, distribution_id=distribution, query=Query())
    assert [c.name for c in result.columns] == ["姓名", "区县", "发放金额(元)"]
    assert (
        result.total
        == datastore_versions.current_version(demo, payments.distributions[0]).row_count
    )
    assert not any("*" in str(record[1]) for record in result.records)  # shared: unmasked


def test_nobody_else_may_have_the_allowance_register(demo: Session) -> None:
    register = _resource(demo, "鄞州区最低生活保障对象名册")
    assert (register.share_class, register.open_class) == ("none", "none")
    assert "不予共享" in (register.share_conditions or "")
    member = _staff(demo, "hzdata_member")
    with pytest.raises(PermissionDenied):
        datastore.read(
            demo, actor=member, distribution_id=register.distributions[0].id, query=Query()
        )
    with pytest.raises(InvalidInput):
        sharing.request_share(
            demo,
            actor=member,
            resource_ref=register.id,
            purpose="核对",
            fields=None,
            duration_days=7,
        )


def test_the_demo_data_are_the_same_every_time() -> None:
    datasets = shipped_datasets()
    assert len(datasets) == 25  # the catalog's demo, moved into the packs
    for manifest, dataset in datasets:
        generator = dataset.demo_rows
        assert isinstance(generator, catalog_packs.DemoGenerator), dataset.data.name
        assert generator.name.startswith(".demo:"), dataset.data.name
        assert generator.seed == f"{manifest.name}:{dataset.data.name}"
        first = dataset.demo_records()  # checked against the fields as they are drawn
        assert first == dataset.demo_records(), dataset.data.name
        assert 0 < len(first) <= 500, dataset.data.name
