"""The jurisdictions one endpoint serves: the province and each of its cities, named as
GeoReport v2 suggests by the government's website domain (``jurisdiction_id``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from yiwang.core import geo

PROVINCE_CODE = "330000"
PROVINCE_NAME = "浙江省"

# The provincial and city governments' website domains.
DEFAULT_JURISDICTIONS: dict[str, str] = {
    "zj.gov.cn": PROVINCE_CODE,
    "zhejiang.gov.cn": PROVINCE_CODE,
    "hangzhou.gov.cn": "330100",
    "ningbo.gov.cn": "330200",
    "wenzhou.gov.cn": "330300",
    "jiaxing.gov.cn": "330400",
    "huzhou.gov.cn": "330500",
    "sx.gov.cn": "330600",
    "jinhua.gov.cn": "330700",
    "qz.gov.cn": "330800",
    "zhoushan.gov.cn": "330900",
    "zjtz.gov.cn": "331000",
    "lishui.gov.cn": "331100",
}


@dataclass(frozen=True, slots=True)
class Jurisdiction:
    """The province (``division_code`` 330000) or one city."""

    id: str
    division_code: str
    name: str

    @property
    def is_province(self) -> bool:
        return self.division_code == PROVINCE_CODE


class Open311Settings(BaseSettings):
    """``YIWANG_OPEN311_JURISDICTIONS``: ``id=code`` pairs, comma-separated (or a JSON
    object), each code the province's or one of its cities'. Without ``jurisdiction_id`` a
    request is for the province."""

    model_config = SettingsConfigDict(env_prefix="YIWANG_OPEN311_", env_file=".env", extra="ignore")

    jurisdictions: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=lambda: dict(DEFAULT_JURISDICTIONS)
    )
    contact: str | None = Field(
        default=None,
        description="Service Discovery's contact: how to reach the people running the API",
    )
    key_service: str | None = Field(
        default=None, description="Service Discovery's key_service: how to get an api_key"
    )

    @field_validator("jurisdictions", mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("{"):
                import json  # noqa: PLC0415

                return json.loads(text)
            pairs = [part.split("=", 1) for part in text.split(",") if part.strip()]
            if any(len(pair) != 2 for pair in pairs):
                raise ValueError("expected id=code pairs separated by commas")
            return {k.strip().lower(): v.strip() for k, v in pairs}
        return value

    @field_validator("jurisdictions")
    @classmethod
    def _known_codes(cls, value: dict[str, str]) -> dict[str, str]:
        for key, code in value.items():
            if code != PROVINCE_CODE and geo.city(code) is None:
                raise ValueError(f"{key}: {code} is neither the province nor one of its cities")
        return {k.lower(): v for k, v in value.items()}


class Jurisdictions:
    """Look a ``jurisdiction_id`` up; the province answers when none is given."""

    def __init__(self, mapping: dict[str, str]) -> None:
        self._by_id = {
            key.lower(): Jurisdiction(key.lower(), code, _name(code))
            for key, code in mapping.items()
        }
        self.province = Jurisdiction(
            next((k for k, c in mapping.items() if c == PROVINCE_CODE), "province"),
            PROVINCE_CODE,
            PROVINCE_NAME,
        )

    @classmethod
    def from_settings(cls, settings: Open311Settings | None = None) -> Jurisdictions:
        return cls((settings or Open311Settings()).jurisdictions)

    def find(self, jurisdiction_id: str | None) -> Jurisdiction | None:
        """The jurisdiction named, the province when the name is empty, None if unknown."""
        if not jurisdiction_id or not jurisdiction_id.strip():
            return self.province
        return self._by_id.get(jurisdiction_id.strip().lower())

    def ids(self) -> list[str]:
        return sorted(self._by_id)


def _name(code: str) -> str:
    city = geo.city(code)
    return city.name if city is not None else PROVINCE_NAME
