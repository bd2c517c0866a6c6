"""Fuzzing the native API from its OpenAPI document with schemathesis: every operation, with
generated valid and invalid input, anonymously and with a sysadmin's token; no answer may be a
server error, and every answer must have the shape the document declares for it (the typed
response schemas are the truth, not decoration). Bounded (a fixed seed and a few examples per
operation) to a few minutes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories.core import make_token, make_user
from tests.support.processes import base_env, live_server
from yiwang.core.db import Database
from yiwang.core.policy import Role

pytestmark = pytest.mark.slow

SCHEMATHESIS = shutil.which("schemathesis", path=str(Path(sys.executable).parent))


@pytest.mark.skipif(
    SCHEMATHESIS is None, reason="schemathesis is not installed (make test installs it)"
)
def test_no_operation_answers_with_a_server_error_or_off_its_schema(
    committed_database: Database, tmp_path: Path
) -> None:
    db = committed_database
    with db.session() as session:
        token = make_token(session, make_user(session, username="fuzzer", role=Role.SYSADMIN))
    # Anonymous on one database, a sysadmin on the other: both kinds of caller, both databases,
    # within the time the suite can spend.
    headers = [] if db.dialect == "sqlite" else ["-H", f"Authorization: Bearer {token}"]
    with live_server(db, tmp_path, "--no-worker", env={"YIWANG_LOG_LEVEL": "WARNING"}) as url:
        done = subprocess.run(
            [
                str(SCHEMATHESIS),
                "run",
                f"{url}/api/openapi.json",
                "--checks",
                "not_a_server_error,response_schema_conformance",
                "--phases",
                "examples,fuzzing",
                "--max-examples",
                os.environ.get("YIWANG_FUZZ_EXAMPLES", "12"),
                "--workers",
                "1",
                "--seed",
                "20261207",
                "--no-color",
                *headers,
            ],
            env=base_env(),
            cwd=tmp_path,  # schemathesis keeps its state in the working directory
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    report = done.stdout[-6000:] + done.stderr[-2000:]
    assert "Server error" not in done.stdout, report
    assert done.returncode == 0, report
