"""Running the real ``yiwang`` command against a test database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from yiwang.core.db import Database

ROOT = Path(__file__).resolve().parents[2]


def cli_env(db: Database, var_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YIWANG_")}
    env.update(
        {
            "YIWANG_DATABASE_URL": db.engine.url.render_as_string(hide_password=False),
            "YIWANG_VAR_DIR": str(var_dir),
            "YIWANG_LOG_FORMAT": "text",
            "PYTHONPATH": str(ROOT),
            **extra,
        }
    )
    return env


def yiwang(
    db: Database,
    var_dir: Path,
    *args: str,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "yiwang", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**cli_env(db, var_dir), **(env or {})},
        cwd=var_dir,
        check=False,
    )
