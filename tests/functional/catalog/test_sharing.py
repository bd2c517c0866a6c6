"""Sharing between departments: by class, by request and approval, with expiry and audit."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tests.factories.catalog import make_distribution, make_resource, upload
from tests.functional.catalog.conftest import Government
from tests.support.databases import BoundDatabase
from yiwang.catalog import datastore, datastore_versions, sharing
from yiwang.catalog.datastore import Query
from yiwang.catalog.models import ShareRequest
from yiwang.core.audit import AuditEntry
from yiwang.core.db import utcnow
from yiwang.core.errors import InvalidInput, NotFound, PermissionDenied
from yiwang.core.policy import ANONYMOUS

LICENCES = """许可证编号,企业名称,统一社会信用代码,法定代表人,联系电话,发证日期
JY33010620250001,杭州西溪餐饮管理有限公司,91330106MA2B0FAK3X,张伟,13812345678,2025-09-01
JY33010620250002,杭州朝晖食品商行,91330106MA2B0FAK3X,王芳,13998765432,2025-09-15
"""


@pytest.fixture
def licences(db: BoundDatabase, gov: Government, tmp_path: Path) -> str:
    with db.session() as session:
        resource = make_resource(
            session,
            gov.env_editor,
            department_id=gov.env.id,
            title="食品经营许可信息",
            share_class="conditional",
            share_conditions="仅用于行政审批与监管，不得对外提供",
            open_class="none",
            open_conditions="含个人信息",
            fields=[
                {"name": n}
                for n in (
                    "许可证编号",
                    "企业名称",
                    "统一社会信用代码",
                    "法定代表人",
                    "联系电话",
                    "发证日期",
                )
            ],
        )
        distribution_id = make_distribution(session, gov.env_editor, resource).id
    _, job = upload(
        db, gov.env_editor, distribution_id, LICENCES.encode(), "licences.csv", tmp_path
    )
    assert job.status == "succeeded", job.error
    return distribution_id


def test_conditional_data_needs_an_approved_request(
    session: Session, gov: Government, licences: str
) -> None:
    with pytest.raises(NotFound):  # not open: the public does not even see the entry
        datastore.read(session, actor=ANONYMOUS, distribution_id=licences, query=Query())
    with pytest.raises(PermissionDenied):  # other staff see the entry, not the data
        datastore.read(session, actor=gov.transport_member, distribution_id=licences, query=Query())
    _distribution, resource = datastore_versions.get_distribution(
        session, actor=gov.transport_member, ref=licences
    )
    request = sharing.request_share(
        session,
        actor=gov.transport_member,
        resource_ref=resource.id,
        purpose="道路运输经营许可联合审查",
        fields=["许可证编号", "企业名称", "发证日期"],
        duration_days=30,
    )
    with pytest.raises(PermissionDenied):  # a colleague of the requester cannot decide
        sharing.decide(session, actor=gov.transport_admin, request_id=request.id, approve=True)
    with pytest.raises(PermissionDenied):  # nor can a member of the provider
        sharing.decide(session, actor=gov.env_member, request_id=request.id, approve=True)
    sharing.decide(session, actor=gov.env_admin, request_id=request.id, approve=True)
    result, view = datastore.read(
        session, actor=gov.transport_member, distribution_id=licences, query=Query()
    )
    assert [c.name for c in result.columns] == ["许可证编号", "企业名称", "发证日期"]
    assert view.access.level.value == "shared"
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).one()
    assert (entry.action, entry.actor_id, entry.details["access"]) == (  # type: ignore[index]
        "datastore.read",
        gov.transport_member.user_id,
        "shared",
    )


def test_access_lapses_by_itself(session: Session, gov: Government, licences: str) -> None:
    _, resource = datastore_versions.get_distribution(
        session, actor=gov.transport_member, ref=licences
    )
    request = sharing.request_share(
        session,
        actor=gov.transport_member,
        resource_ref=resource.id,
        purpose="联合执法检查",
        fields=None,
        duration_days=7,
    )
    sharing.decide(session, actor=gov.env_admin, request_id=request.id, approve=True)
    assert request.expires_at is not None
    assert request.expires_at - utcnow() > dt.timedelta(days=6)
    session.execute(
        update(ShareRequest)
        .where(ShareRequest.id == request.id)
        .values(expires_at=utcnow() - dt.timedelta(seconds=1))
    )
    session.expire_all()
    with pytest.raises(PermissionDenied):
        datastore.read(session, actor=gov.transport_member, distribution_id=licences, query=Query())
    assert sharing.effective_status(session.get(ShareRequest, request.id)) == "expired"  # type: ignore[arg-type]


def test_rejections_need_a_reason_and_decisions_happen_once(
    session: Session, gov: Government, licences: str
) -> None:
    _, resource = datastore_versions.get_distribution(
        session, actor=gov.transport_member, ref=licences
    )
    request = sharing.request_share(
        session,
        actor=gov.transport_member,
        resource_ref=resource.id,
        purpose="了解情况，便于统计",
        fields=None,
        duration_days=30,
    )
    with pytest.raises(InvalidInput):
        sharing.decide(
            session, actor=gov.env_admin, request_id=request.id, approve=False, reason=" "
        )
    sharing.decide(
        session,
        actor=gov.env_admin,
        request_id=request.id,
        approve=False,
        reason="用途不符合共享条件",
    )
    with pytest.raises(InvalidInput):
        sharing.decide(session, actor=gov.env_admin, request_id=request.id, approve=True)
    with pytest.raises(PermissionDenied):
        datastore.read(session, actor=gov.transport_member, distribution_id=licences, query=Query())


def test_requests_are_only_for_conditional_resources_of_others(
    session: Session, gov: Government, licences: str
) -> None:
    _, resource = datastore_versions.get_distribution(session, actor=gov.env_member, ref=licences)
    with pytest.raises(InvalidInput):  # one's own department
        sharing.request_share(
            session,
            actor=gov.env_member,
            resource_ref=resource.id,
            purpose="自用自用",
            fields=None,
            duration_days=1,
        )
    open_one = make_resource(session, gov.env_editor, department_id=gov.env.id)
    with pytest.raises(InvalidInput):
        sharing.request_share(
            session,
            actor=gov.transport_member,
            resource_ref=open_one.id,
            purpose="无需申请的资源",
            fields=None,
            duration_days=1,
        )


def test_unconditionally_shared_data_is_read_by_other_departments_unmasked(
    db: BoundDatabase, gov: Government, tmp_path: Path
) -> None:
    with db.session() as session:
        resource = make_resource(
            session,
            gov.env_editor,
            department_id=gov.env.id,
            share_class="unconditional",
            open_class="none",
            open_conditions="含个人信息",
        )
        distribution_id = make_distribution(session, gov.env_editor, resource).id
    upload(db, gov.env_editor, distribution_id, LICENCES.encode(), "l.csv", tmp_path)
    with db.sessionmaker() as session:
        result, view = datastore.read(
            session, actor=gov.transport_member, distribution_id=distribution_id, query=Query()
        )
        assert view.access.level.value == "shared"
        assert result.records[0][4] == "张伟"
        with pytest.raises(NotFound):
            datastore.read(session, actor=ANONYMOUS, distribution_id=distribution_id, query=Query())
