"""The systemd units of deploy/systemd/: they parse, run commands yiwang has, and hold the
hardening docs/operations.md describes."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from tests.support.processes import ROOT
from yiwang.cli import main
from yiwang.core.config import Settings

UNITS = ROOT / "deploy" / "systemd"
INSTALLED_COMMAND = "/opt/yiwang/.venv/bin/yiwang"
UNIT_FILES = sorted(UNITS.glob("*.service"))

HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ReadWritePaths": "/var/lib/yiwang",
    "StateDirectory": "yiwang",
    "PrivateTmp": "yes",
    "ProtectHome": "yes",
    "PrivateDevices": "yes",
    "CapabilityBoundingSet": "",
    "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
    "UMask": "0077",
    "Restart": "on-failure",
}


def _parse(path: Path) -> dict[str, dict[str, list[str]]]:
    """The sections of a unit file, each key with its values in order (systemd keys repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            assert line[1:-1] not in sections, f"{path.name}:{number}: section twice"
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"{path.name}:{number}: a key before any section"
        assert "=" in line, f"{path.name}:{number}: not a key=value line: {line}"
        key, value = (part.strip() for part in line.split("=", 1))
        current.setdefault(key, []).append(value)
    return sections


def test_the_units_are_the_server_the_worker_and_the_bridge() -> None:
    assert [p.name for p in UNIT_FILES] == [
        "yiwang-mqtt.service",
        "yiwang-worker.service",
        "yiwang.service",
    ]


@pytest.mark.parametrize("path", UNIT_FILES, ids=lambda p: p.name)
def test_each_unit_runs_a_yiwang_command_as_its_own_user_hardened(path: Path) -> None:
    unit = _parse(path)
    assert set(unit) == {"Unit", "Service", "Install"}
    assert unit["Install"]["WantedBy"] == ["multi-user.target"]
    service = unit["Service"]
    assert service["User"] == ["yiwang"]
    assert service["EnvironmentFile"] == ["/etc/yiwang/yiwang.env"]
    assert "YIWANG_VAR_DIR=/var/lib/yiwang" in service["Environment"][0].split()
    for key, value in HARDENING.items():
        assert service.get(key) == [value], f"{path.name}: {key}"
    # The command and its options are ones `yiwang` has (click refuses any other).
    (exec_start,) = service["ExecStart"]
    program, *arguments = shlex.split(exec_start)
    assert program == INSTALLED_COMMAND
    command = main.commands[arguments[0]]
    with click.Context(command) as context:
        command.parse_args(context, arguments[1:])


def test_the_environment_example_sets_only_settings_yiwang_reads() -> None:
    example = (UNITS / "yiwang.env.example").read_text(encoding="utf-8")
    names = [line.split("=", 1)[0] for line in example.splitlines() if line and line[0] != "#"]
    assert "YIWANG_DATABASE_URL" in names
    assert "YIWANG_SECRET_KEY" in names
    known = {f"YIWANG_{field.upper()}" for field in Settings.model_fields}
    assert set(names) <= known


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze missing")
@pytest.mark.parametrize("path", UNIT_FILES, ids=lambda p: p.name)
def test_systemd_accepts_each_unit_without_a_warning(path: Path, tmp_path: Path) -> None:
    # Verified as installed, except that the command is this environment's (verify wants it
    # to exist and be executable).
    command = Path(sys.executable).with_name("yiwang")
    assert command.is_file(), command
    copy = tmp_path / path.name
    copy.write_text(path.read_text(encoding="utf-8").replace(INSTALLED_COMMAND, str(command)))
    verified = subprocess.run(
        ["systemd-analyze", "verify", str(copy)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    said = [
        line
        for line in (verified.stdout + verified.stderr).splitlines()
        if path.name in line or str(copy) in line
    ]
    assert verified.returncode == 0, verified.stderr
    assert said == []
