"""The ``yiwang`` command line, run as an operator runs it."""

from __future__ import annotations

import datetime as dt
import json
import re
import stat
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.factories.cases import apply, make_item
from tests.factories.core import make_department
from tests.support.calendars import notice_2027
from tests.support.processes import ROOT, base_env, yiwang
from yiwang.app import create_app
from yiwang.core import clock
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
    # A case filed before the notice, counted over 2027's Spring Festival on provisional days.
    with db.session() as session:
        department = make_department(session, slug="t-cli-market", division_code="330100")
        item = make_item(session, department, promised_limit_days=5, legal_limit_days=20)
        filed = apply(session, item, tmp_path, now=dt.datetime(2027, 2, 3, 10, tzinfo=clock.CHINA))
        number = filed.case.number
    assert filed.case.deadline_provisional

    status = yiwang(db, tmp_path, "calendar", "status", env={"LANG": "en_US.UTF-8"})
    assert status.returncode == 0, status.stderr
    due = yiwang(db, tmp_path, "calendar", "due", "2027-02-03", "5")
    assert due.stdout.strip() == "2027-02-17 provisional"

    schedule = tmp_path / "2027.csv"
    schedule.write_text(notice_2027())
    wrong = yiwang(db, tmp_path, "calendar", "import", str(schedule), "--year", "2028")
    assert wrong.returncode == 2
    assert "2028" in wrong.stderr
    done = yiwang(db, tmp_path, "calendar", "import", str(schedule), "--year", "2027")
    assert done.returncode == 0, done.stderr
    assert "official schedule imported for 2027" in done.stdout
    assert "1 changed" in done.stdout
    assert f"{number}  due 2027-02-17 -> 2027-02-18 (+1 days)" in done.stdout
    assert yiwang(db, tmp_path, "calendar", "due", "2027-02-03", "5").stdout.strip() == (
        "2027-02-18 official"
    )
    listing = yiwang(db, tmp_path, "calendar", "years")
    assert "2027  official" in listing.stdout

    bad = tmp_path / "bad.csv"
    bad.write_text("date,type\n2028-01-01,holiday\n2028-13-01,holiday\n")
    failed = yiwang(db, tmp_path, "calendar", "import", str(bad), env={"LANG": "en_US.UTF-8"})
    assert failed.returncode == 2
    assert "line 3" in failed.stderr
    assert "2028  official" not in yiwang(db, tmp_path, "calendar", "years").stdout

    retired = yiwang(db, tmp_path, "calendar", "allow-weekend-only", "2028")
    assert retired.returncode == 0
    assert "retired" in retired.stderr
    assert "calendar import" in retired.stderr


def test_the_calendar_status_warns_from_october(
    committed_database: Database, tmp_path: Path
) -> None:
    db = committed_database
    env = {"LANG": "en_US.UTF-8", "YIWANG_CLOCK": "2026-10-01T09:00:00+08:00"}
    october = yiwang(db, tmp_path, "calendar", "status", env=env)
    assert "today 2026-10-01" in october.stdout
    assert re.search(r"^2027\s+provisional\s+law$", october.stdout, re.MULTILINE)
    assert "warning: 2027's official holiday schedule is not loaded yet" in october.stdout
    env["YIWANG_CLOCK"] = "2026-09-30T09:00:00+08:00"
    september = yiwang(db, tmp_path, "calendar", "status", env=env)
    assert "warning" not in september.stdout


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


def test_data_files_are_readable_by_the_service_account_alone(tmp_path: Path) -> None:
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    old = var / "old.db"
    old.touch(mode=0o644)  # as an earlier version left it
    old.chmod(0o644)
    new = var / "new.db"  # made by this version
    for database in (old, new):
        env = base_env() | {
            "YIWANG_DATABASE_URL": f"sqlite:///{database}",
            "YIWANG_VAR_DIR": str(var),
            "PYTHONPATH": str(ROOT),
        }
        done = subprocess.run(
            [sys.executable, "-m", "yiwang", "db", "upgrade"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(var.stat().st_mode) == 0o700
    assert {p.name for p in var.iterdir()} >= {"old.db", "new.db"}
    for path in var.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_pack_list_works_before_the_database_exists(tmp_path: Path) -> None:
    env = base_env() | {
        "YIWANG_DATABASE_URL": f"sqlite:///{tmp_path / 'none-yet.db'}",
        "YIWANG_VAR_DIR": str(tmp_path / "var"),
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-m", "yiwang", "pack", "list"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "yiwang db upgrade" in done.stderr  # how to begin
    names = {line.split()[0] for line in done.stdout.splitlines() if line.strip()}
    assert {"environment", "water", "tourism"} <= names
