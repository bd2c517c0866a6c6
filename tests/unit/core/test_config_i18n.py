"""Settings from the environment, the generated secret, and language negotiation."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from yiwang.core.config import Settings, mask_url
from yiwang.core.i18n import EN, ZH, negotiate, translate


def test_settings_come_from_yiwang_variables(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("YIWANG_DATABASE_URL", "postgresql://u@h/db")
    monkeypatch.setenv("YIWANG_LANGUAGES", "en,zh-CN")
    monkeypatch.setenv("YIWANG_MAX_UPLOAD_BYTES", "1024")
    monkeypatch.setenv("YIWANG_VAR_DIR", str(tmp_path))
    settings = Settings()
    assert settings.database_url == "postgresql://u@h/db"
    assert settings.languages == ["en", "zh-CN"]
    assert settings.default_language == "en"
    assert settings.max_upload_bytes == 1024


def test_the_roles_that_must_use_two_step_verification(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().mfa_required_roles == ["sysadmin", "department_admin"]
    monkeypatch.setenv("YIWANG_MFA_REQUIRED_ROLES", "sysadmin, editor")
    assert Settings().mfa_required_roles == ["sysadmin", "editor"]
    monkeypatch.setenv("YIWANG_MFA_REQUIRED_ROLES", "")
    assert Settings().mfa_required_roles == []
    monkeypatch.setenv("YIWANG_MFA_REQUIRED_ROLES", "sysadmin,admins")
    with pytest.raises(ValidationError, match="unknown roles: admins"):
        Settings()


def test_the_secret_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    first = Settings(var_dir=tmp_path / "var")
    key = first.secret()
    assert len(key) >= 32
    path = tmp_path / "var" / "secret_key"
    assert path.stat().st_mode & 0o777 == 0o600
    assert Settings(var_dir=tmp_path / "var").secret() == key
    assert key not in str(first.masked())


def test_urls_are_masked() -> None:
    assert mask_url("postgresql://app:pw@db/yiwang") == "postgresql://app:********@db/yiwang"
    assert mask_url("sqlite:///./var/yiwang.db") == "sqlite:///./var/yiwang.db"
    assert mask_url("mqtt://iot:pw@broker:1883") == "mqtt://iot:********@broker:1883"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, ZH),
        ("", ZH),
        ("en-US,en;q=0.9", EN),
        ("zh-CN,zh;q=0.9,en;q=0.8", ZH),
        ("fr-FR,en;q=0.5", EN),
        ("en;q=0.4,zh-TW;q=0.8", ZH),
        ("de", ZH),
        ("en;q=0", ZH),
    ],
)
def test_language_negotiation(header: str | None, expected: str) -> None:
    assert negotiate(header) == expected


def test_messages_fill_their_parameters() -> None:
    assert translate("identity.duplicate_username", ZH, {"username": "li"}) == "用户名已存在：li"
    assert (
        translate("identity.duplicate_username", EN, {"username": "li"})
        == "The username is taken: li"
    )
    assert translate("no.such.code", ZH) == "no.such.code"
