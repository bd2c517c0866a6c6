"""The decision document uploaded with the decision (PDF or OFD, by its content), and 好差评
once a case has ended however it ended."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories.cases import PDF, PNG, apply, make_item, ofd_bytes
from tests.functional.cases.conftest import Staff

pytestmark = pytest.mark.dates


APPROVAL = {"decision": "approved", "document_number": "JY13301060012345"}


def _act(client: TestClient, number: str, action: str, staff: Staff, **body: object) -> Any:
    answer = client.post(
        f"/api/v1/cases/{number}/actions/{action}", json=body, headers=staff.headers
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def _reviewed(
    client: TestClient, session: Session, market: Staff, tmp_path: Path
) -> tuple[str, str]:
    """A case of the market bureau, accepted and reviewed, waiting for its decision: its
    number and query code."""
    item = make_item(session, market.department)
    filed = apply(session, item, tmp_path)
    session.commit()
    number = filed.case.number
    _act(client, number, "accept", market)
    (task,) = _act(client, number, "start_review", market)["tasks"]
    done = client.post(
        f"/api/v1/cases/{number}/tasks/{task['id']}",
        json={"opinion": "agree"},
        headers=market.headers,
    )
    assert done.status_code == 200, done.text
    return number, filed.query_code or ""


def _decide(
    client: TestClient, number: str, staff: Staff, files: list[tuple[str, tuple[str, bytes]]]
) -> Any:
    return client.post(
        f"/api/v1/cases/{number}/actions/decide",
        data={"data": json.dumps(APPROVAL)},
        files=files,
        headers=staff.headers,
    )


@pytest.mark.parametrize(
    ("filename", "content", "kind"),
    [("准予许可决定书.pdf", PDF, "pdf"), ("准予许可决定书.ofd", ofd_bytes(), "ofd")],
)
def test_the_decision_document_is_kept_with_the_decision(
    app_client: TestClient,
    session: Session,
    market: Staff,
    tmp_path: Path,
    filename: str,
    content: bytes,
    kind: str,
) -> None:
    number, _ = _reviewed(app_client, session, market, tmp_path)
    answer = _decide(app_client, number, market, [("decision_document", (filename, content))])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["state"] == "decided"
    assert body["decision_document"] == APPROVAL["document_number"]
    (document,) = [m for m in body["materials"] if m["purpose"] == "decision"]
    assert (document["key"], document["filename"], document["type"]) == (
        "decision_document",
        filename,
        kind,
    )
    assert document["size"] == len(content)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([("decision_document", ("决定书.png", PNG))], "只接受：PDF、OFD"),
        ([("decision_document", ("决定书.pdf", PNG))], "决定书.pdf"),
        ([("licence", ("证照.pdf", PDF))], "licence"),
        (
            [("decision_document", ("a.pdf", PDF)), ("decision_document", ("b.pdf", PDF))],
            "只能附一份",
        ),
    ],
)
def test_a_wrong_decision_document_refuses_the_decision(
    app_client: TestClient,
    session: Session,
    market: Staff,
    tmp_path: Path,
    files: list[tuple[str, tuple[str, bytes]]],
    message: str,
) -> None:
    number, _ = _reviewed(app_client, session, market, tmp_path)
    answer = _decide(app_client, number, market, files)
    assert answer.status_code == 422, answer.text
    assert message in answer.json()["error"]["message"]
    after = app_client.get(f"/api/v1/cases/{number}", headers=market.headers).json()
    assert after["state"] == "in_review"
    assert all(m["purpose"] != "decision" for m in after["materials"])


@pytest.mark.parametrize("ending", ["reject", "withdraw", "close"])
def test_the_applicant_rates_a_case_however_it_ended(
    app_client: TestClient, session: Session, market: Staff, tmp_path: Path, ending: str
) -> None:
    item = make_item(session, market.department)
    filed = apply(session, item, tmp_path)
    session.commit()
    number, code = filed.case.number, filed.query_code or ""
    early = app_client.post(f"/api/v1/cases/{number}/rating", json={"score": 3, "query_code": code})
    assert early.status_code == 409
    assert "结束" in early.json()["error"]["message"]
    if ending == "reject":
        _act(app_client, number, "reject", market, reason="材料不属于本部门受理范围")
    elif ending == "withdraw":
        withdrawn = app_client.post(
            f"/api/v1/cases/{number}/actions/withdraw",
            json={"reason": "不再需要", "query_code": code},
        )
        assert withdrawn.status_code == 200, withdrawn.text
    else:
        _act(app_client, number, "accept", market)
        (task,) = _act(app_client, number, "start_review", market)["tasks"]
        app_client.post(
            f"/api/v1/cases/{number}/tasks/{task['id']}",
            json={"opinion": "disagree"},
            headers=market.headers,
        )
        _act(app_client, number, "decide", market, decision="denied", reason="不符合条件")
        _act(app_client, number, "close", market)
    rated = app_client.post(
        f"/api/v1/cases/{number}/rating",
        json={"score": 2, "comment": "说明不清", "query_code": code},
    )
    assert rated.status_code == 201, rated.text
    shown = app_client.get(f"/api/v1/cases/{number}", headers={"X-Query-Code": code}).json()
    assert shown["rating"]["score"] == 2


def test_a_decided_case_not_yet_closed_is_not_rated(
    app_client: TestClient, session: Session, market: Staff, tmp_path: Path
) -> None:
    number, code = _reviewed(app_client, session, market, tmp_path)
    _act(app_client, number, "decide", market, **APPROVAL)
    answer = app_client.post(
        f"/api/v1/cases/{number}/rating",
        json={"score": 5, "query_code": code},
        headers={"Accept-Language": "en"},
    )
    assert answer.status_code == 409
    assert "once it has ended" in answer.json()["error"]["message"]
