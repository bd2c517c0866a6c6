"""Runs the Python examples of docs/sensing-sta.md, in order, in one namespace."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories.sensing import make_network

DOC = Path(__file__).resolve().parents[3] / "docs" / "sensing-sta.md"


def examples() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)


def test_the_examples_run(app_client: TestClient, session: Session) -> None:
    net = make_network(session)
    session.commit()
    namespace = {"client": app_client, "token": net.tokens["env_editor"]}
    assert len(examples()) >= 4
    for example in examples():
        exec(compile(example, str(DOC), "exec"), namespace)  # noqa: S102  (our own documentation)
