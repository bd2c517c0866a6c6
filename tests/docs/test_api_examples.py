"""Runs the Python examples of docs/api.md, in order, in one namespace."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories.core import make_token, make_user
from tests.support.databases import BoundDatabase
from yiwang.core.jobs import Worker
from yiwang.core.policy import Role

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def examples() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)


def test_the_doc_has_examples() -> None:
    assert len(examples()) >= 5


def test_api_examples_run(app_client: TestClient, session: Session, db: BoundDatabase) -> None:
    admin = make_user(session, role=Role.SYSADMIN, username="admin")
    token = make_token(session, admin)
    session.commit()

    def run_pending_jobs() -> None:
        worker = Worker(db)
        while worker.run_one():
            pass

    namespace = {"client": app_client, "token": token, "run_pending_jobs": run_pending_jobs}
    for number, code in enumerate(examples(), start=1):
        try:
            exec(compile(code, f"docs/api.md example {number}", "exec"), namespace)  # noqa: S102
        except AssertionError as exc:
            raise AssertionError(f"docs/api.md example {number} no longer holds:\n{code}") from exc


def test_the_published_openapi_document_is_current() -> None:
    """docs/openapi.json is what the code serves; run `make docs` after changing the API."""
    committed = json.loads((DOC.parent / "openapi.json").read_text(encoding="utf-8"))
    current = subprocess.run(
        [sys.executable, "-m", "yiwang", "openapi"], capture_output=True, text=True, check=True
    ).stdout
    assert committed == json.loads(current), "docs/openapi.json is stale: run make docs"
