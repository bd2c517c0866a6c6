"""The console's case queue: who sees which cases, the yellow and red cards, and each action of
the state machine taken through its form, with errors on the page and CSRF enforced."""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories.cases import PDF, PNG, apply, make_category, make_item
from tests.factories.core import actor, make_department, make_user
from tests.functional.core.test_pages import csrf_of, sign_in
from yiwang.cases import access, filing, queries, supervision, workflow
from yiwang.cases.schemas import ComplaintCreate
from yiwang.cases.vocab import State
from yiwang.core.identity import Department
from yiwang.core.policy import ANONYMOUS, SYSTEM, Actor, Role

pytestmark = pytest.mark.dates


HTML = {"Accept": "text/html"}


@dataclass
class Desk:
    """A responsible department with a clerk, and another department with a stranger."""

    department: Department
    clerk: str
    other: Department
    stranger: str
    clerk_actor: Actor


@pytest.fixture
def desk(session: Session) -> Desk:
    department = make_department(session, name_zh="杭州市市场监督管理局", slug="q-market")
    other = make_department(session, name_zh="杭州市交通运输局", slug="q-transport")
    clerk = make_user(session, role=Role.EDITOR, department=department, username="queue_clerk")
    stranger = make_user(session, role=Role.MEMBER, department=other, username="queue_stranger")
    session.commit()
    return Desk(department, clerk.username, other, stranger.username, actor(clerk))


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{hour:02d}:00:00+08:00")


def state_of(session: Session, number: str) -> str:
    session.expire_all()
    return access.get_case(session, actor=SYSTEM, number=number).state


def row_of(page: str, number: str) -> str:
    """The queue's table row of one case."""
    link = f'<th scope="row"><a href="/console/cases/{number}">'
    match = re.search(rf"<tr[^>]*>\s*{re.escape(link)}.*?</tr>", page, re.DOTALL)
    assert match, f"{number} is not in the queue"
    return match.group(0)


def act(
    client: TestClient,
    number: str,
    action: str,
    *,
    files: dict[str, tuple[str, io.BytesIO, str]] | None = None,
    **fields: str,
) -> tuple[int, str]:
    """Post an action's form from the case page as a browser does; follow the redirect."""
    page = client.get(f"/console/cases/{number}", headers=HTML).text
    response = client.post(
        f"/console/cases/{number}/actions/{action}",
        data={"csrf": csrf_of(page), **fields},
        files=files,
        headers=HTML,
        follow_redirects=False,
    )
    if response.status_code == 303:
        assert response.headers["location"] == f"/console/cases/{number}?done={action}"
        return 303, client.get(response.headers["location"], headers=HTML).text
    return response.status_code, response.text


def forms_of(page: str, number: str) -> set[str]:
    """The actions the case page offers a form for."""
    return set(re.findall(rf'action="/console/cases/{number}/actions/([a-z_]+)"', page))


def test_the_queue_shows_the_departments_cases_and_not_another_departments(
    app_client: TestClient, session: Session, desk: Desk, tmp_path: Path
) -> None:
    item = make_item(session, desk.department, name="食品经营许可")
    number = apply(session, item, tmp_path / "var").case.number
    session.commit()

    sign_in(app_client, desk.clerk)
    page = app_client.get("/console/cases", headers=HTML)
    assert page.status_code == 200
    row = row_of(page.text, number)
    assert "食品经营许可" in row
    assert "已提交" in row
    assert "张三丰" in row  # the staff handling it see the applicant unmasked
    case_page = app_client.get(f"/console/cases/{number}", headers=HTML).text
    assert "11010519491231002X" in case_page
    assert "13812345678" in case_page
    assert "申请事由" in case_page  # the form's labels, from the item

    app_client.cookies.clear()
    sign_in(app_client, desk.stranger)
    page = app_client.get("/console/cases", headers=HTML)
    assert number not in page.text
    assert "没有符合条件的办件" in page.text
    refused = app_client.get(f"/console/cases/{number}", headers=HTML)
    assert refused.status_code == 404
    assert "不存在" in refused.text
    assert "11010519491231002X" not in refused.text


def test_the_filters_narrow_the_queue(
    app_client: TestClient, session: Session, desk: Desk, tmp_path: Path
) -> None:
    item = make_item(session, desk.department)
    category = make_category(session, desk.department)
    application = apply(session, item, tmp_path / "var").case.number
    complaint = filing.file_complaint(
        session,
        actor=ANONYMOUS,
        data=ComplaintCreate(
            category_code=category.code,
            division_code="330100",
            address="杭州市西湖区",
            description="占道经营",
        ),
    ).case.number
    session.commit()
    sign_in(app_client, desk.clerk)

    page = app_client.get("/console/cases", params={"kind": "complaint"}, headers=HTML).text
    assert complaint in page
    assert application not in page
    page = app_client.get("/console/cases", params={"item": item.code}, headers=HTML).text
    assert application in page
    assert complaint not in page
    page = app_client.get("/console/cases", params={"number": complaint}, headers=HTML).text
    assert complaint in page
    assert application not in page
    page = app_client.get("/console/cases", params={"status": "closed"}, headers=HTML).text
    assert complaint not in page
    assert application not in page
    first = app_client.get(
        "/console/cases", params={"state": "submitted", "limit": 1}, headers=HTML
    )
    assert "共 2 件，第 1–1 件" in first.text
    assert 'rel="next"' in first.text


def test_yellow_and_red_cards_show_as_badges(
    app_client: TestClient, session: Session, desk: Desk, tmp_path: Path
) -> None:
    item = make_item(session, desk.department, promised_limit_days=5, legal_limit_days=20)
    late = apply(session, item, tmp_path / "var", now=at("2025-09-01")).case
    near = apply(session, item, tmp_path / "var", now=at("2025-10-13")).case
    plain = apply(session, item, tmp_path / "var", now=at("2025-10-14")).case
    assert near.next_card_on is not None
    result = supervision.scan(session, today=near.next_card_on)
    assert (result.yellow, result.red) == (1, 1)
    session.commit()

    sign_in(app_client, desk.clerk)
    page = app_client.get("/console/cases", headers=HTML).text
    assert '<span class="badge badge-red">红牌</span>' in row_of(page, late.number)
    assert '<span class="badge badge-yellow">黄牌</span>' in row_of(page, near.number)
    assert "badge" not in row_of(page, plain.number)
    assert "已逾期" in row_of(page, late.number)
    # The summary counts the department's open cases carrying each card.
    summary = page.split('class="card-counts"')[1].split("</ul>")[0]
    assert re.search(r"黄牌</span>\s*<strong>1</strong>", summary)
    assert re.search(r"红牌</span>\s*<strong>1</strong>", summary)

    red_only = app_client.get("/console/cases", params={"card": "red"}, headers=HTML).text
    assert late.number in red_only
    assert near.number not in red_only
    assert "红牌" in app_client.get(f"/console/cases/{late.number}", headers=HTML).text


def test_accepting_through_the_form_moves_the_case_and_offers_the_next_actions(
    app_client: TestClient, session: Session, desk: Desk, tmp_path: Path
) -> None:
    item = make_item(session, desk.department)
    number = apply(session, item, tmp_path / "var").case.number
    session.commit()
    sign_in(app_client, desk.clerk)

    page = app_client.get(f"/console/cases/{number}", headers=HTML).text
    assert forms_of(page, number) == {"accept", "reject", "request_supplement"}
    status, page = act(app_client, number, "accept")
    assert status == 303
    assert state_of(session, number) == State.ACCEPTED
    assert "已完成：受理" in page
    assert "已受理" in page
    assert forms_of(page, number) == {"start_review", "request_supplement"}
    assert "queue_clerk" in page  # the history says who accepted it


def test_rejecting_without_a_reason_is_refused_on_the_form(
    app_client: TestClient, session: Session, desk: Desk, tmp_path: Path
) -> None:
    item = make_item(session, desk.department)
    number = apply(session, item, tmp_path / "var").case.number
    session.commit()
    sign_in(app_client, desk.clerk)

    status, page = act(app_client, number, "reject", reason="   ")
    assert status == 422
    assert "“不予受理”须说明理由。" in page
    assert 'id="reject-error"' in page
    assert state_of(session, number) == State.SUBMITTED

    status, page = act(app_client, number, "reject", reason="不属于本部门受理范围")
    assert status == 303
    assert state_of(session, number) == State.REJECTED
    assert "不属于本部门受理范围" in page
    assert forms_of(page, number) == set()


def test_an_action_without_the_csrf_token_is_refused(
    app_client: TestClient, session: Session, desk: Desk, tmp_path: Path
) -> None:
    item = make_item(session, desk.department)
    number = apply(session, item, tmp_path / "var").case.number
    session.commit()
    sign_in(app_client, desk.clerk)

    response = app_client.post(
        f"/console/cases/{number}/actions/accept", headers=HTML, follow_redirects=False
    )
    assert response.status_code == 403
    assert "CSRF" in response.text
    assert state_of(session, number) == State.SUBMITTED


def test_another_department_cannot_act_on_the_case(
    app_client: TestClient, session: Session, desk: Desk, tmp_path: Path
) -> None:
    item = make_item(session, desk.department)
    number = apply(session, item, tmp_path / "var").case.number
    session.commit()
    sign_in(app_client, desk.stranger)
    token = csrf_of(app_client.get("/console/cases", headers=HTML).text)

    response = app_client.post(
        f"/console/cases/{number}/actions/accept",
        data={"csrf": token},
        headers=HTML,
        follow_redirects=False,
    )
    assert response.status_code == 404
    assert state_of(session, number) == State.SUBMITTED


def test_a_reviewing_department_sees_the_case_and_gives_its_opinion(
    app_client: TestClient, session: Session, desk: Desk, tmp_path: Path
) -> None:
    item = make_item(
        session,
        desk.department,
        steps=[{"key": "joint", "name": "联合审查", "departments": ["q-market", "q-transport"]}],
    )
    number = apply(session, item, tmp_path / "var").case.number
    for action in ("accept", "start_review"):
        workflow.transition(session, actor=desk.clerk_actor, number=number, action=action)
    session.commit()
    sign_in(app_client, desk.stranger)

    assert number in app_client.get("/console/cases", headers=HTML).text
    page = app_client.get(f"/console/cases/{number}", headers=HTML).text
    assert forms_of(page, number) == {"request_supplement"}  # deciding is the responsible's
    tasks = re.findall(rf'action="/console/cases/{number}/tasks/(\d+)"', page)
    assert len(tasks) == 1  # their own department's task only

    refused = app_client.post(
        f"/console/cases/{number}/actions/decide",
        data={"csrf": csrf_of(page), "decision": "approved", "document_number": "1"},
        headers=HTML,
    )
    assert refused.status_code == 403
    assert "无权执行此操作" in refused.text
    assert state_of(session, number) == State.IN_REVIEW

    response = app_client.post(
        f"/console/cases/{number}/tasks/{tasks[0]}",
        data={"csrf": csrf_of(page), "opinion": "disagree", "comment": "占用消防通道"},
        headers=HTML,
        follow_redirects=False,
    )
    assert response.status_code == 303
    page = app_client.get(response.headers["location"], headers=HTML).text
    assert "已完成：审查意见" in page
    assert "不同意：占用消防通道" in page


def test_the_materials_download_for_those_who_may_see_the_case(
    app_client: TestClient, session: Session, desk: Desk, tmp_path: Path
) -> None:
    item = make_item(session, desk.department)
    number = apply(session, item, tmp_path / "var").case.number
    session.commit()
    sign_in(app_client, desk.clerk)
    page = app_client.get(f"/console/cases/{number}", headers=HTML).text
    links = re.findall(rf'href="(/console/cases/{number}/materials/[0-9a-f]+)"', page)
    assert len(links) == 2  # 身份证明 and 申请书
    download = app_client.get(links[0])
    assert download.status_code == 200
    assert download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert "attachment" in download.headers["content-disposition"]
    assert app_client.get(f"/console/cases/{number}/materials/{'0' * 64}").status_code == 404

    app_client.cookies.clear()
    sign_in(app_client, desk.stranger)
    assert app_client.get(links[0], headers=HTML).status_code == 404


def test_an_application_from_acceptance_to_closing(
    app_client: TestClient, session: Session, desk: Desk, tmp_path: Path
) -> None:
    item = make_item(session, desk.department)
    number = apply(session, item, tmp_path / "var").case.number
    session.commit()
    sign_in(app_client, desk.clerk)

    assert act(app_client, number, "accept")[0] == 303
    status, page = act(app_client, number, "start_review")
    assert status == 303
    assert "审查中" in page
    status, page = act(
        app_client, number, "decide", decision="approved", document_number="杭市监许〔2025〕1号"
    )
    assert status == 409
    assert "还有 1 项审查意见未提出，不能办结。" in page

    task = re.search(rf'action="/console/cases/{number}/tasks/(\d+)"', page)
    assert task
    response = app_client.post(
        f"/console/cases/{number}/tasks/{task.group(1)}",
        data={"csrf": csrf_of(page), "comment": "材料齐全"},
        headers=HTML,
    )
    assert response.status_code == 422
    assert "审查意见" in response.text  # no opinion chosen
    response = app_client.post(
        f"/console/cases/{number}/tasks/{task.group(1)}",
        data={"csrf": csrf_of(page), "opinion": "agree", "comment": "材料齐全"},
        headers=HTML,
        follow_redirects=False,
    )
    assert response.status_code == 303
    page = app_client.get(response.headers["location"], headers=HTML).text
    assert "同意：材料齐全" in page
    assert f"/console/cases/{number}/tasks/" not in page  # nothing left to review

    # A decision document must be a PDF or an OFD; a refused one leaves the case as it was.
    status, page = act(
        app_client,
        number,
        "decide",
        decision="approved",
        document_number="杭市监许〔2025〕1号",
        files={"decision_document": ("决定书.png", io.BytesIO(PNG), "image/png")},
    )
    assert status == 422
    assert "决定文书" in page
    assert "PDF、OFD" in page
    session.expire_all()
    case = access.get_case(session, actor=SYSTEM, number=number)
    assert case.state == State.IN_REVIEW
    assert case.decision is None
    status, page = act(
        app_client,
        number,
        "decide",
        decision="approved",
        document_number="杭市监许〔2025〕1号",
        files={"decision_document": ("决定书.pdf", io.BytesIO(PDF), "application/pdf")},
    )
    assert status == 303
    assert state_of(session, number) == State.DECIDED
    assert "决定书.pdf" in page
    assert "杭市监许〔2025〕1号" in page
    assert forms_of(page, number) == {"deliver", "close"}

    status, page = act(app_client, number, "deliver", delivery_method="courier")
    assert status == 422
    assert "快递送达须填写快递单号。" in page
    assert 'id="deliver-error"' in page
    status, page = act(
        app_client, number, "deliver", delivery_method="courier", tracking_number="SF1234567890"
    )
    assert status == 303
    assert "SF1234567890" in page
    status, page = act(app_client, number, "close")
    assert status == 303
    assert state_of(session, number) == State.CLOSED
    assert "已归档" in page
    assert forms_of(page, number) == set()


def test_a_decision_without_a_document_file(
    app_client: TestClient, session: Session, desk: Desk, tmp_path: Path
) -> None:
    item = make_item(session, desk.department)
    number = apply(session, item, tmp_path / "var").case.number
    for action in ("accept", "start_review"):
        workflow.transition(session, actor=desk.clerk_actor, number=number, action=action)
    (task,) = queries.tasks_of(session, access.get_case(session, actor=SYSTEM, number=number))
    workflow.complete_task(
        session, actor=desk.clerk_actor, number=number, task_id=task.id, opinion="agree"
    )
    session.commit()
    sign_in(app_client, desk.clerk)
    # A browser sends an empty file part for a file field left empty: no document, no error.
    status, page = act(
        app_client,
        number,
        "decide",
        decision="denied",
        reason="经营场所不符合要求",
        files={"decision_document": ("", io.BytesIO(b""), "application/octet-stream")},
    )
    assert status == 303
    assert state_of(session, number) == State.DECIDED
    assert "不予" in page
    assert "决定文书" not in page


def test_a_complaint_is_answered_and_its_text_escaped(
    app_client: TestClient, session: Session, desk: Desk
) -> None:
    category = make_category(session, desk.department)
    number = filing.file_complaint(
        session,
        actor=ANONYMOUS,
        data=ComplaintCreate(
            category_code=category.code,
            division_code="330100",
            latitude=30.27,
            longitude=120.15,
            address="文三路<b>90号</b>",
            description="<script>alert(1)</script>夜间施工",
            media_url="javascript:alert(2)",
        ),
    ).case.number
    session.commit()
    sign_in(app_client, desk.clerk)

    page = app_client.get(f"/console/cases/{number}", headers=HTML).text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;夜间施工" in page
    assert "文三路&lt;b&gt;90号&lt;/b&gt;" in page
    assert 'href="javascript:' not in page

    act(app_client, number, "accept")
    act(app_client, number, "start_review")
    page = app_client.get(f"/console/cases/{number}", headers=HTML).text
    task = re.search(rf'action="/console/cases/{number}/tasks/(\d+)"', page)
    assert task
    app_client.post(
        f"/console/cases/{number}/tasks/{task.group(1)}",
        data={"csrf": csrf_of(page), "opinion": "agree"},
        headers=HTML,
    )
    status, page = act(app_client, number, "decide", decision="resolved")
    assert status == 422
    assert "办结投诉须答复投诉人。" in page
    status, page = act(app_client, number, "decide", decision="resolved", reply="已责令停工整改。")
    assert status == 303
    assert "已责令停工整改。" in page
    assert act(app_client, number, "close")[0] == 303
    assert state_of(session, number) == State.CLOSED


def test_the_queue_needs_a_signed_in_user(app_client: TestClient) -> None:
    response = app_client.get("/console/cases", headers=HTML, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/console/cases"
    response = app_client.get(
        "/console/cases/330100-20251009-000001", headers=HTML, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


def test_the_pages_speak_english_on_request(
    app_client: TestClient, session: Session, desk: Desk, tmp_path: Path
) -> None:
    item = make_item(session, desk.department)
    number = apply(session, item, tmp_path / "var").case.number
    session.commit()
    sign_in(app_client, desk.clerk)
    page = app_client.get(f"/console/cases/{number}?lang=en", headers=HTML).text
    assert '<html lang="en">' in page
    assert ">Accept</button>" in page
    assert "submitted" in page
    page = app_client.get("/console/cases", headers=HTML).text
    assert "Case queue" in page
