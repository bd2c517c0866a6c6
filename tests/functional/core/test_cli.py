"""The ``yiwang`` command line, run as an operator runs it."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.support.processes import yiwang
from yiwang.app import create_app
from yiwang.core.config import Settings
from yiwang.core.db import Database


def test_user_and_token_lifecycle(committed_database: Database, tmp_path: Path) -> None:
    db = committed_database
    created = yiwang(
        db,
        tmp_path,
        "user",
        "create",
        "ops",
        "--role",
        "sysadmin",
        "--password-stdin",
        stdin="a secret passphrase\n",
    )
    assert created.returncode == 0, created.stderr
    assert created.stdout == ""  # nothing to print: the password came from stdin

    token = yiwang(db, tmp_path, "token", "create", "ops", "--expires-days", "7")
    assert token.returncode == 0, token.stderr
    lines = token.stdout.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("yw_")

    settings = Settings(database_url=str(db.url), var_dir=tmp_path / "var", secret_key="k" * 32)
    with TestClient(create_app(settings, db)) as client:
        me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {lines[0]}"})
        assert me.json()["role"] == "sysadmin"

    with db.engine.connect() as connection:
        stored = " ".join(
            str(v) for v in connection.execute(text("SELECT * FROM api_tokens")).one()
        )
        hashed = connection.execute(
            text("SELECT password_hash FROM users WHERE username = 'ops'")
        ).scalar_one()
    assert lines[0] not in stored
    assert "a secret passphrase" not in hashed

    verify = yiwang(db, tmp_path, "audit", "verify")
    assert verify.returncode == 0
    assert "2 entries verified" in verify.stdout


def test_user_errors_are_clear_and_change_nothing(
    committed_database: Database, tmp_path: Path
) -> None:
    db = committed_database
    first = yiwang(
        db, tmp_path, "user", "create", "lin", "--role", "member", "--department", "330000"
    )
    assert first.returncode == 2
    assert "部门不存在：330000" in first.stderr or "No such department: 330000" in first.stderr

    made = yiwang(db, tmp_path, "user", "create", "admin2", "--role", "sysadmin")
    assert made.returncode == 0
    assert made.stdout.startswith("password (shown once): ")
    twice = yiwang(
        db, tmp_path, "user", "create", "ADMIN2", "--role", "sysadmin", env={"LANG": "en_US.UTF-8"}
    )
    assert twice.returncode == 2
    assert "The username is taken: ADMIN2" in twice.stderr
    bad_role = yiwang(db, tmp_path, "user", "create", "x", "--role", "king")
    assert bad_role.returncode == 2
    assert "king" in bad_role.stderr
    no_user = yiwang(db, tmp_path, "token", "create", "nobody")
    assert no_user.returncode == 2
    assert no_user.stdout == ""
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM users")).scalar_one() == 1
        assert connection.execute(text("SELECT count(*) FROM api_tokens")).scalar_one() == 0


def test_demo_then_tamper_then_verify(committed_database: Database, tmp_path: Path) -> None:
    db = committed_database
    demo = yiwang(db, tmp_path, "demo", timeout=180)
    assert demo.returncode == 0, demo.stderr
    assert "admin" in demo.stdout
    with db.engine.connect() as connection:
        departments = (
            connection.execute(text("SELECT division_code FROM departments")).scalars().all()
        )
        roles = set(connection.execute(text("SELECT role FROM users")).scalars())
    assert len(departments) >= 10
    assert len({code[:4] for code in departments if code != "330000"}) == 11  # every city
    assert roles == {"sysadmin", "department_admin", "editor", "member"}
    again = yiwang(db, tmp_path, "demo")
    assert again.returncode == 0
    assert "not loaded" in again.stderr

    assert yiwang(db, tmp_path, "audit", "verify").returncode == 0
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER USER"))
        else:
            connection.execute(text("DROP TRIGGER audit_entries_no_update"))
        connection.execute(text("UPDATE audit_entries SET object_id = '0' WHERE seq = 7"))
    broken = yiwang(db, tmp_path, "audit", "verify")
    assert broken.returncode == 1
    assert "BROKEN at entry 7: altered" in broken.stdout


def test_calendar_import_from_the_command_line(
    committed_database: Database, tmp_path: Path
) -> None:
    db = committed_database
    schedule = tmp_path / "2027.json"
    schedule.write_text(
        json.dumps(
            {
                "years": [2027],
                "days": [
                    {"date": "2027-10-01", "type": "holiday", "name": "国庆节"},
                    {"date": "2027-09-26", "type": "workday", "name": "国庆节调休"},
                ],
            },
            ensure_ascii=False,
        )
    )
    done = yiwang(db, tmp_path, "calendar", "import", str(schedule))
    assert done.returncode == 0, done.stderr
    listing = yiwang(db, tmp_path, "calendar", "years")
    assert "2027  schedule" in listing.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("2028-13-01,holiday\n")
    failed = yiwang(db, tmp_path, "calendar", "import", str(bad), env={"LANG": "en_US.UTF-8"})
    assert failed.returncode == 2
    assert "line 1" in failed.stderr
    assert "2028" not in yiwang(db, tmp_path, "calendar", "years").stdout


def test_config_show_masks_secrets(committed_database: Database, tmp_path: Path) -> None:
    db = committed_database
    shown = yiwang(
        committed_database,
        tmp_path,
        "config",
        "show",
        env={
            "YIWANG_DATABASE_URL": "postgresql://app:hunter2secret@db.internal/yiwang",
            "YIWANG_SECRET_KEY": "super-secret-value",
        },
    )
    assert shown.returncode == 0
    config = json.loads(shown.stdout)
    assert config["database_url"] == "postgresql://app:********@db.internal/yiwang"
    assert config["secret_key"] == "********"
    assert "hunter2secret" not in shown.stdout
    assert "super-secret-value" not in shown.stdout
    assert db is committed_database


def test_db_check_reports_no_drift(committed_database: Database, tmp_path: Path) -> None:
    check = yiwang(committed_database, tmp_path, "db", "check")
    assert check.returncode == 0, check.stdout
    assert "agree" in check.stdout
