"""Cataloguing resources: drafts, publishing, history, deletion, rules, search and facets."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories.catalog import make_resource
from tests.functional.catalog.conftest import Government
from yiwang.catalog import service
from yiwang.catalog.models import Resource
from yiwang.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from yiwang.core.policy import ANONYMOUS, Actor, Role, can_see_resource


def test_a_draft_is_seen_by_its_department_only_until_published(
    session: Session, gov: Government
) -> None:
    draft = make_resource(
        session,
        gov.env_editor,
        department_id=gov.env.id,
        state="draft",
        title="杭州市空气质量小时数据",
    )
    assert service.get_resource(session, actor=gov.env_member, ref=draft.name).id == draft.id
    for outsider in (ANONYMOUS, gov.transport_member):
        with pytest.raises(NotFound):
            service.get_resource(session, actor=outsider, ref=draft.id)
    service.publish_resource(session, actor=gov.env_editor, ref=draft.id)
    assert service.get_resource(session, actor=ANONYMOUS, ref=draft.code).publish_date is not None


def test_codes_and_names_are_made_when_not_given(session: Session, gov: Government) -> None:
    first = make_resource(session, gov.env_editor, department_id=gov.env.id)
    second = make_resource(session, gov.env_editor, department_id=gov.env.id)
    assert first.code.startswith("330000-ZJENV-")
    assert first.code.endswith("-0001")
    assert second.code.endswith("-0002")
    assert first.name == first.code.lower()


def test_conditional_classes_need_their_conditions(session: Session, gov: Government) -> None:
    before = session.scalars(select(Resource)).all()
    with pytest.raises(InvalidInput) as caught:
        make_resource(session, gov.env_editor, department_id=gov.env.id, share_class="conditional")
    assert "有条件共享" in caught.value.message("zh-CN")
    assert "share_conditions" in caught.value.message("en")
    with pytest.raises(InvalidInput):
        make_resource(session, gov.env_editor, department_id=gov.env.id, open_class="none")
    with pytest.raises(InvalidInput):
        make_resource(session, gov.env_editor, department_id=gov.env.id, category="astrology")
    assert session.scalars(select(Resource)).all() == before


def test_only_the_providing_departments_editors_catalogue(
    session: Session, gov: Government
) -> None:
    with pytest.raises(PermissionDenied):
        make_resource(session, gov.transport_member, department_id=gov.env.id)
    with pytest.raises(PermissionDenied):
        make_resource(session, gov.env_member, department_id=gov.env.id)  # members only read
    resource = make_resource(session, gov.env_editor, department_id=gov.env.id)
    with pytest.raises(PermissionDenied):
        service.update_resource(
            session, actor=gov.transport_admin, ref=resource.id, changes={"title": "改名"}
        )


def test_duplicate_codes_are_refused(session: Session, gov: Government) -> None:
    make_resource(session, gov.env_editor, department_id=gov.env.id, code="330000-ENV-0001")
    with pytest.raises(Conflict):
        make_resource(session, gov.env_editor, department_id=gov.env.id, code="330000-ENV-0001")


def test_edits_keep_a_history(session: Session, gov: Government) -> None:
    resource = make_resource(
        session, gov.env_editor, department_id=gov.env.id, title="地表水水质月报", tags=["水质"]
    )
    service.update_resource(
        session,
        actor=gov.env_editor,
        ref=resource.id,
        changes={"title": "地表水水质自动监测月报", "tags": ["水质", "地表水"]},
    )
    revisions = service.history(session, actor=gov.env_editor, ref=resource.id)
    assert [r.revision for r in revisions] == [2, 1]
    assert revisions[0].snapshot["title"] == "地表水水质自动监测月报"
    assert revisions[1].snapshot["title"] == "地表水水质月报"
    assert revisions[0].snapshot["tags"] == ["地表水", "水质"]
    with pytest.raises(InvalidInput):  # an edit is validated like a creation
        service.update_resource(
            session, actor=gov.env_editor, ref=resource.id, changes={"open_class": "conditional"}
        )


def test_deletion_is_soft_and_only_a_sysadmin_restores(session: Session, gov: Government) -> None:
    resource = make_resource(session, gov.env_editor, department_id=gov.env.id)
    with pytest.raises(PermissionDenied):
        service.delete_resource(session, actor=gov.env_editor, ref=resource.id)
    service.delete_resource(session, actor=gov.env_admin, ref=resource.id)
    with pytest.raises(NotFound):
        service.get_resource(session, actor=gov.env_admin, ref=resource.id)
    with pytest.raises(PermissionDenied):
        service.restore_resource(session, actor=gov.env_admin, ref=resource.id)
    service.restore_resource(session, actor=gov.sysadmin, ref=resource.id)
    assert service.get_resource(session, actor=ANONYMOUS, ref=resource.id).state == "active"


def test_chinese_full_text_search(session: Session, gov: Government) -> None:
    air = make_resource(
        session,
        gov.env_editor,
        department_id=gov.env.id,
        title="杭州市空气质量小时数据",
        summary="全市国控站点逐小时六项污染物浓度与AQI。",
        spatial_division="330100",
        category="environment",
        tags=["空气质量", "AQI"],
    )
    make_resource(
        session,
        gov.env_editor,
        department_id=gov.env.id,
        title="浙江省地表水水质月报",
        category="environment",
        spatial_division="330000",
    )
    make_resource(
        session,
        gov.env_editor,
        department_id=gov.transport.id if False else gov.env.id,
        title="宁波市公共自行车站点",
        spatial_division="330200",
        category="transport",
    )
    found = service.search(session, actor=ANONYMOUS, q="空气质量", facet_fields=["city", "groups"])
    assert [r.id for r in found.resources] == [air.id]
    assert found.facets["city"] == {"330100": 1}
    assert service.search(session, actor=ANONYMOUS, q="杭州 空气").count == 1
    assert service.search(session, actor=ANONYMOUS, q="自行车").count == 1
    assert service.search(session, actor=ANONYMOUS, q="地铁").count == 0
    everything = service.search(session, actor=ANONYMOUS, facet_fields=["groups", "organization"])
    assert everything.facets["groups"] == {"environment": 2, "transport": 1}
    assert everything.facets["organization"] == {"zjenv": 3}
    by_city = service.search(session, actor=ANONYMOUS, filters={"city": ["330100", "330200"]})
    assert by_city.count == 2


def test_sql_visibility_matches_the_policy(session: Session, gov: Government) -> None:
    """``service.visible_to`` (SQL) and ``policy.can_see_resource`` (Python) must agree for
    every actor and kind of resource."""
    combos = itertools.product(
        ["draft", "active"],
        ["unconditional", "conditional", "none"],
        ["unconditional", "conditional", "none"],
    )
    made = []
    for state, share, open_ in combos:
        made.append(
            make_resource(
                session,
                gov.env_editor,
                department_id=gov.env.id,
                state=state,
                share_class=share,
                open_class=open_,
                share_conditions="依据《浙江省公共数据条例》",
                open_conditions="须实名",
            )
        )
    deleted = make_resource(session, gov.env_editor, department_id=gov.env.id)
    service.delete_resource(session, actor=gov.env_admin, ref=deleted.id)
    made.append(deleted)
    signed_in_public = Actor(user_id=99999, username="citizen", role=None, via="session")
    actors = [ANONYMOUS, signed_in_public, gov.env_member, gov.transport_member, gov.sysadmin]
    for who in actors:
        visible = set(session.scalars(select(Resource.id).where(service.visible_to(who))))
        for resource in made:
            expected = can_see_resource(
                who,
                department_id=resource.department_id,
                state=resource.state,
                share_class=resource.share_class,
                open_class=resource.open_class,
            )
            assert (resource.id in visible) == expected, (
                who.username,
                resource.state,
                resource.share_class,
                resource.open_class,
            )
    assert Role.SYSADMIN
