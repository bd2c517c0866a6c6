"""Request and response shapes for departments, users and tokens."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from yiwang.core.codes import DivisionCode
from yiwang.core.policy import Role


class DepartmentCreate(BaseModel):
    slug: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9][a-z0-9_\-]{1,63}$",
        examples=["zjenv"],
        description="short Latin name for URLs and APIs; made from the division code if omitted",
    )
    name_zh: str = Field(min_length=2, max_length=200, examples=["浙江省生态环境厅"])
    name_en: str | None = Field(default=None, max_length=300)
    short_name: str | None = Field(default=None, max_length=100)
    division_code: DivisionCode = Field(examples=["330000"])
    parent_id: int | None = None
    is_data_office: bool = False


class DepartmentUpdate(BaseModel):
    name_zh: str | None = Field(default=None, min_length=2, max_length=200)
    name_en: str | None = Field(default=None, max_length=300)
    short_name: str | None = Field(default=None, max_length=100)
    parent_id: int | None = None


class DepartmentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    slug: str
    name_zh: str
    name_en: str | None
    short_name: str | None
    division_code: str

    division_name: str | None = None
    parent_id: int | None
    is_data_office: bool


class UserCreate(BaseModel):
    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    display_name: str | None = Field(default=None, max_length=100)
    role: Role
    department_id: int | None = None
    password: str | None = Field(default=None, max_length=200)


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    role: Role
    department_id: int | None
    is_active: bool
    created_at: dt.datetime
    last_login_at: dt.datetime | None


class TokenCreate(BaseModel):
    name: str = Field(default="api", min_length=1, max_length=100)
    expires_days: int | None = Field(default=90, ge=1, le=3650)


class TokenPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int
    name: str
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


class TokenCreated(TokenPublic):
    token: str = Field(description="The token itself; shown this once and never again")
