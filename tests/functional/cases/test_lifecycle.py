"""A case through the state machine: who may do what, illegal transitions, joint review in
parallel, decisions, delivery, closing and 好差评."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories.cases import PDF, apply, make_item, uploads
from tests.functional.cases.conftest import Staff
from yiwang.cases import filing, queries, workflow
from yiwang.cases.models import Transition
from yiwang.cases.schemas import TransitionIn
from yiwang.core.audit import AuditEntry
from yiwang.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from yiwang.core.events import OutboxEvent
from yiwang.core.policy import ANONYMOUS

pytestmark = pytest.mark.dates


def _act(
    client: TestClient, number: str, action: str, staff: Staff | None = None, **body: object
) -> dict[str, Any]:
    headers = staff.headers if staff else {}
    answer = client.post(f"/api/v1/cases/{number}/actions/{action}", json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_joint_item_from_submission_to_rating(
    app_client: TestClient, session: Session, market: Staff, fire: Staff, tmp_path: Path
) -> None:
    item = make_item(
        session,
        market.department,
        steps=[
            {"key": "check", "name": "材料审查", "departments": []},
            {"key": "joint", "name": "联合审查", "departments": ["t-market", "t-fire"]},
        ],
    )
    filed = apply(session, item, tmp_path)
    session.commit()
    number, code = filed.case.number, filed.query_code
    _act(app_client, number, "accept", market)
    body = _act(app_client, number, "start_review", market)
    tasks = {(t["step"], t["department_id"]): t["id"] for t in body["tasks"]}
    assert set(tasks) == {
        ("check", market.department.id),
        ("joint", market.department.id),
        ("joint", fire.department.id),
    }
    # The joint step waits for the first; then its departments review in parallel.
    early = app_client.post(
        f"/api/v1/cases/{number}/tasks/{tasks[('joint', fire.department.id)]}",
        json={"opinion": "agree"},
        headers=fire.headers,
    )
    assert early.status_code == 409
    assert "前序环节尚未完成" in early.json()["error"]["message"]
    for key, staff in (("check", market), ("joint", fire), ("joint", market)):
        answer = app_client.post(
            f"/api/v1/cases/{number}/tasks/{tasks[(key, staff.department.id)]}",
            json={"opinion": "agree", "comment": "同意"},
            headers=staff.headers,
        )
        assert answer.status_code == 200, answer.text
    # The second department reviews but does not decide.
    denied = app_client.post(
        f"/api/v1/cases/{number}/actions/decide",
        json={"decision": "approved", "document_number": "JY13301060012345"},
        headers=fire.headers,
    )
    assert denied.status_code == 403
    _act(
        app_client,
        number,
        "decide",
        market,
        decision="approved",
        document_number="JY13301060012345",
    )
    missing = app_client.post(
        f"/api/v1/cases/{number}/actions/deliver",
        json={"delivery_method": "courier"},
        headers=market.headers,
    )
    assert missing.status_code == 422
    assert missing.json()["error"]["message"] == "快递送达须填写快递单号。"
    _act(
        app_client,
        number,
        "deliver",
        market,
        delivery_method="courier",
        tracking_number="SF1234567890",
    )
    closed = _act(app_client, number, "close", market)
    assert closed["state"] == "closed"
    assert closed["is_open"] is False
    assert closed["on_time"] is True
    assert [h["action"] for h in closed["history"]] == [
        "submit",
        "accept",
        "start_review",
        "review",
        "review",
        "review",
        "decide",
        "deliver",
        "close",
    ]

    # 好差评: the applicant with the query code, once; not the staff.
    by_staff = app_client.post(
        f"/api/v1/cases/{number}/rating", json={"score": 5}, headers=market.headers
    )
    assert by_staff.status_code == 403
    rated = app_client.post(
        f"/api/v1/cases/{number}/rating", json={"score": 4, "comment": "很快", "query_code": code}
    )
    assert rated.status_code == 201, rated.text
    again = app_client.post(f"/api/v1/cases/{number}/rating", json={"score": 1, "query_code": code})
    assert again.status_code == 409
    assert "已评价过" in again.json()["error"]["message"]

    names = set(session.scalars(select(OutboxEvent.name)))
    assert {"case.accepted", "case.decided", "case.delivered", "case.closed", "case.rated"} <= names
    actions = set(session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == number)))
    assert {"case.accept", "case.decide", "case.close", "case.rate"} <= actions


def test_illegal_transition_names_the_state(
    app_client: TestClient, session: Session, market: Staff, tmp_path: Path
) -> None:
    item = make_item(session, market.department)
    number = apply(session, item, tmp_path).case.number
    session.commit()
    answer = app_client.post(
        f"/api/v1/cases/{number}/actions/decide",
        json={"decision": "approved"},
        headers=market.headers,
    )
    assert answer.status_code == 409
    assert (
        answer.json()["error"]["message"] == f"办件 {number} 当前状态为“已提交”，不能“办结决定”。"
    )
    english = app_client.post(
        f"/api/v1/cases/{number}/actions/close",
        headers={**market.headers, "Accept-Language": "en"},
    )
    assert english.status_code == 409
    assert "is “已提交”" in english.json()["error"]["message"]


def test_who_may_act(session: Session, market: Staff, fire: Staff, tmp_path: Path) -> None:
    item = make_item(session, market.department)
    filed = apply(session, item, tmp_path)
    number, code = filed.case.number, filed.query_code
    # The applicant may not accept their own case; another department may not either.
    with pytest.raises(PermissionDenied):
        workflow.transition(
            session,
            actor=ANONYMOUS,
            number=number,
            action="accept",
            data=TransitionIn(query_code=code),
        )
    with pytest.raises(NotFound):  # another department does not even see it
        workflow.transition(session, actor=fire.actor, number=number, action="accept")
    with pytest.raises(InvalidInput) as no_reason:
        workflow.transition(session, actor=market.actor, number=number, action="reject")
    assert no_reason.value.code == "cases.reason_required"
    # The applicant withdraws, with a reason.
    case = workflow.transition(
        session,
        actor=ANONYMOUS,
        number=number,
        action="withdraw",
        data=TransitionIn(query_code=code, reason="不再需要"),
    )
    assert case.state == "withdrawn"
    assert not case.is_open
    last = session.scalars(select(Transition).order_by(Transition.id.desc())).first()
    assert last is not None
    assert (last.party, last.reason) == ("applicant", "不再需要")
    with pytest.raises(Conflict):
        workflow.transition(
            session,
            actor=ANONYMOUS,
            number=number,
            action="withdraw",
            data=TransitionIn(query_code=code, reason="again"),
        )


def test_supplement_with_materials_resumes_the_previous_state(
    session: Session, market: Staff, tmp_path: Path
) -> None:
    item = make_item(session, market.department)
    filed = apply(session, item, tmp_path)
    number = filed.case.number
    workflow.transition(session, actor=market.actor, number=number, action="accept")
    workflow.transition(
        session,
        actor=market.actor,
        number=number,
        action="request_supplement",
        data=TransitionIn(reason="身份证明不清晰，请重新上传"),
    )
    case = workflow.transition(
        session,
        actor=ANONYMOUS,
        number=number,
        action="supplement",
        data=TransitionIn(query_code=filed.query_code),
        uploads=uploads(other=PDF),
        storage=filing.Storage(root=tmp_path, max_bytes=10**6),
    )
    assert case.state == "accepted"
    assert [m.purpose for m in queries.materials_of(session, case)] == [
        "application",
        "application",
        "supplement",
    ]
