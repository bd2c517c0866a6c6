"""Settings read from ``YIWANG_*`` environment variables (and an optional ``.env`` file)."""

from __future__ import annotations

import json
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from yiwang.core.policy import Role

SECRET_KEY_FILE = "secret_key"  # noqa: S105  (a file name, not a secret)


class Settings(BaseSettings):
    """The effective configuration of one yiwang node."""

    model_config = SettingsConfigDict(env_prefix="YIWANG_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./var/yiwang.db",
        description="SQLAlchemy URL; sqlite:///path or postgresql://user@host/db",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Signs cookies and CSRF tokens; generated into var_dir when unset",
    )
    var_dir: Path = Field(
        default=Path("./var"), description="Writable state: database, secret, uploads"
    )
    mqtt_url: str = Field(default="mqtt://127.0.0.1:1883", description="The MQTT broker")
    mqtt_client_id: str = Field(
        default="yiwang-ingest",
        min_length=1,
        max_length=64,
        description="Fixed client id of the MQTT ingest bridge (its persistent session); "
        "give every node its own",
    )
    mqtt_ingest: bool = Field(
        default=False, description="Run the MQTT ingest bridge inside `yiwang serve`"
    )
    mqtt_notify: bool = Field(
        default=False,
        description="Publish every stored observation to v1.1/Datastreams(id)/Observations",
    )
    mqtt_shared_subscription: bool = Field(
        default=False,
        description="Several bridges share the ingest topics ($share/yiwang/...)",
    )
    mqtt_batch_size: int = Field(
        default=2000, ge=1, le=10000, description="Most MQTT messages stored in one transaction"
    )
    mqtt_batch_ms: int = Field(
        default=50, ge=1, le=60000, description="Longest wait for a batch to fill, in ms"
    )
    mqtt_receive_maximum: int = Field(
        default=5000,
        ge=1,
        le=65535,
        description="Unacknowledged messages the broker may send the bridge at once",
    )
    mqtt_session_expiry_s: int = Field(
        default=7 * 86400,
        ge=60,
        description="How long the broker keeps the bridge's session while it is offline",
    )
    sta_max_expand_depth: int = Field(
        default=3,
        ge=1,
        le=10,
        description="SensorThings: most levels of nested $expand (deeper is a 400)",
    )
    sta_max_top: int = Field(
        default=10000,
        ge=1,
        le=1_000_000,
        description="SensorThings: largest $top, of a request and of every expanded collection",
    )
    sta_max_data_bytes: int = Field(
        default=25_000_000,
        ge=10_000,
        description="SensorThings: bytes of JSON entities past which a page is cut short and "
        "continued at @iot.nextLink (as FROST-Server's maxDataSize)",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="The address clients reach this site at (links in MQTT notifications)",
    )
    languages: Annotated[list[str], NoDecode] = Field(
        default=["zh-CN", "en"], description="Languages offered, first is default"
    )
    max_upload_bytes: int = Field(
        default=512 * 1024 * 1024, ge=1, description="Largest accepted upload"
    )
    session_hours: int = Field(default=12, ge=1, description="Lifetime of a web login")
    session_idle_minutes: int = Field(
        default=30, ge=1, description="A web login unused this long ends"
    )
    cookie_secure: bool = Field(default=False, description="Send cookies only over HTTPS")
    log_level: str = Field(default="INFO")
    log_format: str = Field(default="json", description="json or text")
    job_lease_seconds: int = Field(default=60, ge=5, description="How long a claimed job is held")
    db_pool_size: int = Field(default=10, ge=1)
    throttle_free_per_account: int = Field(
        default=5, ge=1, description="Failed sign-ins of one account before waits begin"
    )
    throttle_free_per_address: int = Field(
        default=20,
        ge=1,
        description="Failed tries of a password, token or query code from one address before "
        "waits begin",
    )
    throttle_max_delay_seconds: int = Field(
        default=900, ge=1, description="The longest wait a run of failures earns"
    )
    mfa_required_roles: Annotated[list[str], NoDecode] = Field(
        default=["sysadmin", "department_admin"],
        description="Roles that must sign in with a second factor (a one-time code from an "
        "authenticator app); comma-separated, empty for none",
    )
    mfa_opt_in: bool = Field(
        default=True,
        description="Users of other roles may turn on a second factor for their own account",
    )
    mfa_issuer: str = Field(
        default="yiwang",
        min_length=1,
        max_length=64,
        description="The name authenticator apps show beside the account",
    )
    max_connections: int = Field(
        default=512,
        ge=10,
        description="Connections and requests one server process holds at once; beyond them "
        "it answers 503 at once",
    )
    db_admission_queue: int = Field(
        default=64,
        ge=0,
        description="Requests that may wait for a database place when all are taken; beyond "
        "them a request is answered 503 with Retry-After at once",
    )
    db_admission_wait_ms: int = Field(
        default=1000, ge=0, le=30000, description="How long a request waits for a place"
    )
    db_admission_priority_queue: int = Field(
        default=16,
        ge=0,
        description="Requests of callers this process has seen sign in that may wait, in a "
        "lane of their own served first, when the ordinary queue is full",
    )
    datastore_sql_enabled: bool = Field(
        default=False, description="Offer CKAN's datastore_search_sql (read-only, limited)"
    )
    datastore_sql_timeout_ms: int = Field(default=3000, ge=100, le=60000)

    @field_validator("languages", "mfa_required_roles", mode="before")
    @classmethod
    def _split_list(cls, value: Any) -> Any:
        """A list setting is written as JSON or as comma-separated values."""
        if isinstance(value, str):
            if value.lstrip().startswith("["):
                return json.loads(value)
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("mfa_required_roles")
    @classmethod
    def _known_roles(cls, value: list[str]) -> list[str]:
        unknown = [role for role in value if role not in {r.value for r in Role}]
        if unknown:
            raise ValueError(f"unknown roles: {', '.join(unknown)}")
        return value

    @property
    def default_language(self) -> str:
        return self.languages[0]

    def secret(self) -> str:
        """Return the secret key, generating and storing one under ``var_dir`` if none is set."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        path = self.var_dir / SECRET_KEY_FILE
        if not path.exists():
            self.var_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
        key = path.read_text().strip()
        self.secret_key = SecretStr(key)
        return key

    def masked(self) -> dict[str, Any]:
        """Return the settings as plain values with every secret masked."""
        values = self.model_dump()
        values["secret_key"] = (
            "********"
            if self.secret_key is not None or (self.var_dir / SECRET_KEY_FILE).exists()
            else "(generated on first start)"
        )
        values["database_url"] = mask_url(self.database_url)
        values["mqtt_url"] = mask_url(self.mqtt_url)
        values["var_dir"] = str(self.var_dir)
        return values


def mask_url(url: str) -> str:
    """Return ``url`` with any password replaced by asterisks."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":********@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings (read once)."""
    return Settings()
