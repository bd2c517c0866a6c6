"""docs/operations.md's PostgreSQL set-up, run as it stands: a superuser's one-time block, then
`yiwang db upgrade` as the role it made, which owns its database and nothing more."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.support.databases import PG_ADMIN_URL, REQUIRE_PG, postgres_unavailable
from tests.support.processes import ROOT, base_env

pytestmark = pytest.mark.slow

DOC = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")


def _superuser_block() -> str:
    match = re.search(r"sudo -u postgres psql <<'SQL'\n(.*?)\nSQL\n", DOC, re.DOTALL)
    assert match, "docs/operations.md has no superuser block"
    return match.group(1)


def test_the_role_of_the_doc_owns_its_database_and_can_upgrade_it(tmp_path: Path) -> None:
    reason = postgres_unavailable() or (shutil.which("psql") is None and "psql is missing")
    if reason:
        if REQUIRE_PG:
            pytest.fail(str(reason))
        pytest.skip(str(reason))
    admin_url = make_url(PG_ADMIN_URL)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        has_postgis = connection.execute(
            text("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")
        ).first()
    name = f"yiwang_ops_{uuid.uuid4().hex[:8]}"
    # The doc's block with the role and the database named for this test alone ("yiwang", not
    # the yiwang_ prefix of the shared datastore role).
    block = re.sub(r"\byiwang\b", name, _superuser_block())
    assert name in block
    if not has_postgis:
        block = block.replace("CREATE EXTENSION IF NOT EXISTS postgis;", "")
    psql = [
        "psql",
        *("-h", admin_url.host or "127.0.0.1", "-p", str(admin_url.port or 5432)),
        *("-U", admin_url.username or "postgres", "-d", admin_url.database or "postgres"),
        *("-v", "ON_ERROR_STOP=1", "-q"),
    ]
    env = base_env()
    if admin_url.password:
        env["PGPASSWORD"] = admin_url.password
    try:
        made = subprocess.run(
            psql, input=block, env=env, capture_output=True, text=True, timeout=60, check=False
        )
        assert made.returncode == 0, made.stderr
        with admin.connect() as connection:
            role = connection.execute(
                text(
                    "SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles "
                    "WHERE rolname = :name"
                ),
                {"name": name},
            ).one()
        assert tuple(role) == (False, False, False)

        # The password of the doc is the role's; the test server may trust, or may not.
        url = admin_url.set(username=name, password="choose-a-long-one", database=name)
        upgraded = subprocess.run(
            [sys.executable, "-m", "yiwang", "db", "upgrade"],
            env={
                **env,
                "YIWANG_DATABASE_URL": url.render_as_string(hide_password=False),
                "YIWANG_VAR_DIR": str(tmp_path / "var"),
                "PYTHONPATH": str(ROOT),
            },
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
        assert upgraded.returncode == 0, upgraded.stderr
        assert "schema at" in upgraded.stdout
        assert "cannot create or join the role" not in upgraded.stderr
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'DROP ROLE IF EXISTS "{name}"'))
        admin.dispose()
