"""The console's workbench (工作台) and the queue it leads to: staff land on the workbench after
signing in; it counts what waits for their department (cases to accept, in review, due soon,
yellow and red cards, alerts to acknowledge, sharing requests to decide), each count a link to
the list it counts; a system administrator sees the province's totals. The queue lists the
department's open cases, most urgent first, and keeps its filters in the address."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories.cases import apply, make_item
from tests.factories.catalog import make_resource
from tests.factories.core import PASSWORD, actor, make_department, make_user
from tests.factories.sensing import add_observations, make_datastream, make_thing
from tests.functional.core.test_pages import csrf_of, sign_in
from yiwang.cases import supervision, workflow
from yiwang.cases.schemas import TransitionIn
from yiwang.catalog import sharing
from yiwang.core import clock
from yiwang.core.identity import Department
from yiwang.core.policy import SYSTEM, Role
from yiwang.sensing.alerting import service as rules
from yiwang.sensing.alerting.schemas import LevelIn, RuleCreate

pytestmark = pytest.mark.dates

HTML = {"Accept": "text/html"}
TODAY = "2025-11-17T10:00:00+08:00"  # a Monday, clear of holidays on either side


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{hour:02d}:00:00+08:00")


@dataclass
class Office:
    """A department with a clerk and cases in every state the workbench counts; another
    department with cases, an alert and a sharing request of its own."""

    department: Department
    clerk: str
    other: Department
    to_accept: str
    in_review: str
    red: str
    yellow: str
    soon: str
    rejected: str
    elsewhere: str
    own_item: str
    other_item: str


def _raise_alert(session: Session, department: Department, name: str) -> None:
    """One alert raised on a station of ``department``, not yet acknowledged."""
    editor = make_user(session, role=Role.EDITOR, department=department, password=None)
    stream = make_datastream(session, make_thing(session, department=department, name=name))
    rules.create_rule(
        session,
        actor=actor(editor),
        data=RuleCreate(
            name=f"{name} PM2.5 超标",
            datastream_id=stream.id,
            levels=[LevelIn(label="黄色", value=75)],
        ),
    )
    add_observations(session, stream, [40, 88])


@pytest.fixture
def office(session: Session, tmp_path: Path) -> Iterator[Office]:
    with clock.pin(TODAY):
        department = make_department(session, name_zh="杭州市市场监督管理局", slug="w-market")
        other = make_department(session, name_zh="杭州市交通运输局", slug="w-transport")
        clerk = make_user(session, role=Role.EDITOR, department=department, username="w_clerk")
        clerk_actor = actor(clerk)
        item = make_item(session, department, name="食品经营许可", warn_days=2)
        other_item = make_item(session, other, name="道路运输许可", warn_days=2)
        var = tmp_path / "var"

        def filed(on: dt.datetime, *then: str) -> str:
            number = apply(session, item, var, now=on).case.number
            for action in then:
                workflow.transition(session, actor=clerk_actor, number=number, action=action)
            return number

        to_accept = filed(at("2025-11-17", 9))  # due 11-24: five working days left
        in_review = filed(at("2025-11-14"), "accept", "start_review")  # due 11-21
        red = filed(at("2025-11-03"), "accept")  # due 11-10, a week overdue
        yellow = filed(at("2025-11-12"), "accept")  # due 11-19: two working days left
        rejected = filed(at("2025-11-03", 11))  # overdue too, but no longer open
        workflow.transition(
            session,
            actor=clerk_actor,
            number=rejected,
            action="reject",
            data=TransitionIn(reason="不属于本部门受理范围"),
        )
        elsewhere = apply(session, other_item, var, now=at("2025-11-03")).case.number
        result = supervision.scan(session, today=clock.today())
        assert (result.yellow, result.red) == (1, 2)  # the rejected case has no clock

        # Filed after the scan with one working day to go: due soon, and no card yet.
        quick = make_item(session, department, promised_limit_days=1, warn_days=1)
        soon = apply(session, quick, var).case.number
        workflow.transition(session, actor=clerk_actor, number=soon, action="accept")

        _raise_alert(session, department, "西湖监测站")
        _raise_alert(session, other, "钱塘监测站")
        resource = make_resource(
            session,
            SYSTEM,
            department_id=department.id,
            share_class="conditional",
            share_conditions="用于市场主体信用核查",
        )
        requester = make_user(session, role=Role.EDITOR, department=other)
        sharing.request_share(
            session,
            actor=actor(requester),
            resource_ref=resource.id,
            purpose="道路运输企业信用核查",
            fields=None,
            duration_days=30,
        )
        session.commit()
        yield Office(
            department,
            clerk.username,
            other,
            to_accept,
            in_review,
            red,
            yellow,
            soon,
            rejected,
            elsewhere,
            item.code,
            other_item.code,
        )


def counts_on(page: str) -> dict[str, tuple[int, str]]:
    """The workbench's counts by name, each with the link it carries."""
    found = re.findall(
        r'<a href="([^"]+)"><strong class="pending-count">(\d+)</strong>\s*'
        r'<span class="pending-name">([^<]+)</span>',
        page,
    )
    return {name: (int(count), html.unescape(href)) for href, count, name in found}


def numbers_in(page: str) -> list[str]:
    """The case numbers of the queue's rows, in order."""
    return re.findall(r'<th scope="row"><a href="/console/cases/([^"]+)">', page)


def test_signing_in_lands_on_the_workbench(app_client: TestClient, session: Session) -> None:
    make_user(session, role=Role.EDITOR, username="w_lander")
    session.commit()
    form = app_client.get("/login", headers=HTML)
    answer = app_client.post(
        "/login",
        data={"username": "w_lander", "password": PASSWORD, "csrf": csrf_of(form.text)},
        headers=HTML,
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console"
    page = app_client.get("/console", headers=HTML).text
    assert "<h1>工作台</h1>" in page
    assert 'href="/account"' in page  # the account page, with the API tokens, is a link away


def test_the_workbench_counts_what_waits_for_the_department(
    app_client: TestClient, office: Office
) -> None:
    sign_in(app_client, office.clerk)
    with clock.pin(TODAY):
        page = app_client.get("/console", headers=HTML).text
    assert "本部门待办" in page
    assert counts_on(page) == {
        "待受理": (1, "/console/cases?status=open&state=submitted"),
        "审查中": (1, "/console/cases?status=open&state=in_review"),
        "临近期限": (2, "/console/cases?status=open&due=soon"),
        "黄牌": (1, "/console/cases?status=open&card=yellow"),
        "红牌": (1, "/console/cases?status=open&card=red"),
        "未确认的预警": (1, "/console/sensing?state=raised"),
        "共享申请待审批": (1, "/console/sharing?box=incoming&status=pending"),
    }


def test_each_count_leads_to_the_cases_it_counts(app_client: TestClient, office: Office) -> None:
    sign_in(app_client, office.clerk)
    expected = {
        "待受理": [office.to_accept],
        "审查中": [office.in_review],
        "临近期限": [office.yellow, office.soon],
        "黄牌": [office.yellow],
        "红牌": [office.red],
    }
    with clock.pin(TODAY):
        counts = counts_on(app_client.get("/console", headers=HTML).text)
        for name, numbers in expected.items():
            page = app_client.get(counts[name][1], headers=HTML).text
            assert numbers_in(page) == numbers, name
        alerts = app_client.get(counts["未确认的预警"][1], headers=HTML).text
        assert "西湖监测站" in alerts
        assert "钱塘监测站" not in alerts
        requests = app_client.get(counts["共享申请待审批"][1], headers=HTML).text
        assert "道路运输企业信用核查" in requests


def test_a_system_administrator_sees_the_provinces_totals(
    app_client: TestClient, session: Session, office: Office
) -> None:
    make_user(session, role=Role.SYSADMIN, username="w_root")
    session.commit()
    sign_in(app_client, "w_root")
    with clock.pin(TODAY):
        page = app_client.get("/console", headers=HTML).text
    assert "待办（全省合计）" in page
    assert "本部门待办" not in page
    counts = {name: count for name, (count, _) in counts_on(page).items()}
    assert counts == {
        "待受理": 2,  # the other department's case waits too
        "审查中": 1,
        "临近期限": 2,
        "黄牌": 1,
        "红牌": 2,
        "未确认的预警": 2,
        "共享申请待审批": 1,
    }
    english = app_client.get("/console?lang=en", headers=HTML).text
    assert "Waiting (province totals)" in english


def test_the_queue_lists_the_departments_open_cases_most_urgent_first(
    app_client: TestClient, office: Office
) -> None:
    sign_in(app_client, office.clerk)
    with clock.pin(TODAY):
        page = app_client.get("/console/cases", headers=HTML).text
        # Red first, then yellow, then by the nearest deadline (11-18, 11-21, 11-24).
        assert numbers_in(page) == [
            office.red,
            office.yellow,
            office.soon,
            office.in_review,
            office.to_accept,
        ]
        assert office.elsewhere not in page
        assert office.rejected not in page
        assert '<option value="open" selected>在办</option>' in page
        assert "红牌在前" in page
        # The item filter offers the department's items only.
        assert f'<option value="{office.own_item}"' in page
        assert f'<option value="{office.other_item}"' not in page

        everything = app_client.get("/console/cases?status=all", headers=HTML).text
        assert office.rejected in numbers_in(everything)
        assert office.elsewhere not in everything
        assert '<option value="all" selected>全部</option>' in everything

        newest = app_client.get("/console/cases?sort=newest", headers=HTML).text
        assert numbers_in(newest) == [
            office.soon,
            office.to_accept,
            office.in_review,
            office.yellow,
            office.red,
        ]


def test_the_queue_keeps_its_filters_in_the_address(app_client: TestClient, office: Office) -> None:
    sign_in(app_client, office.clerk)
    with clock.pin(TODAY):
        page = app_client.get("/console/cases?due=soon&sort=newest&limit=1", headers=HTML).text
    assert numbers_in(page) == [office.soon]
    assert '<option value="soon" selected>临近期限</option>' in page
    assert '<option value="newest" selected>最新提交</option>' in page
    assert "共 2 件，第 1–1 件" in page
    with clock.pin(TODAY):
        page = app_client.get("/console/cases?state=accepted&limit=1", headers=HTML).text
    assert numbers_in(page) == [office.red]
    following = re.search(
        r'<a[^>]*href="([^"]+)"[^>]*rel="next"|rel="next"[^>]*href="([^"]+)"', page
    )
    assert following, "the pager offers the next page"
    link = html.unescape(following.group(1) or following.group(2))
    assert "state=accepted" in link
    assert "offset=1" in link


def test_another_departments_staff_neither_count_nor_list_these_cases(
    app_client: TestClient, session: Session, office: Office
) -> None:
    make_user(session, role=Role.MEMBER, department=office.other, username="w_stranger")
    session.commit()
    sign_in(app_client, "w_stranger")
    with clock.pin(TODAY):
        counts = counts_on(app_client.get("/console", headers=HTML).text)
        queue = app_client.get("/console/cases", headers=HTML).text
    assert counts["待受理"][0] == 1  # their own department's one case
    assert counts["红牌"][0] == 1
    assert counts["黄牌"][0] == 0
    assert counts["审查中"][0] == 0
    assert counts["未确认的预警"][0] == 1
    assert counts["共享申请待审批"][0] == 0  # they asked; the market department decides
    assert numbers_in(queue) == [office.elsewhere]
