"""Departments, users, API tokens, web sessions, second factors and the throttle's counts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yiwang.core.db import Base, CreatedAt, DivisionCodeColumn, IntPK, UTCDateTime


class Department(Base):
    """A government department (委办局) or the data management office (数据管理中心)."""

    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("name_zh", "division_code"),)

    id: Mapped[IntPK]
    slug: Mapped[str] = mapped_column(
        String(64), unique=True, comment="short Latin name for URLs and APIs, e.g. zjenv"
    )
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(300))
    short_name: Mapped[str | None] = mapped_column(String(100), comment="简称, e.g. 省数据局")
    division_code: Mapped[DivisionCodeColumn] = mapped_column(index=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="RESTRICT"), index=True
    )
    is_data_office: Mapped[bool] = mapped_column(
        Boolean, default=False, comment="runs the platform and approves data sharing"
    )
    created_at: Mapped[CreatedAt]

    parent: Mapped[Department | None] = relationship(remote_side="Department.id")


class User(Base):
    __tablename__ = "users"

    id: Mapped[IntPK]
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str | None] = mapped_column(
        String(200), comment="argon2id; NULL for users who sign in with tokens only"
    )
    role: Mapped[str] = mapped_column(String(32))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="RESTRICT"), index=True
    )
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[CreatedAt]
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    department: Mapped[Department | None] = relationship()


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[IntPK]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(12), comment="first characters, shown in lists")
    token_digest: Mapped[str] = mapped_column(
        String(64), unique=True, comment="SM3 of the token; the token itself is never stored"
    )
    created_at: Mapped[CreatedAt]
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class WebSession(Base):
    """A browser login. The cookie holds a random id; only its SM3 digest is stored."""

    __tablename__ = "web_sessions"

    id: Mapped[IntPK]
    session_digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[CreatedAt]
    expires_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime(), comment="the absolute end of the login, however active"
    )
    idle_expires_at: Mapped[dt.datetime | None] = mapped_column(
        UTCDateTime(), comment="ends here unless used before; moved on as it is used"
    )
    second_factor_pending: Mapped[bool] = mapped_column(
        Boolean,
        default=False,
        server_default=false(),
        comment="the password was right, the one-time code (or the enrolment) is still to come: "
        "such a login grants nothing but the second step",
    )

    user: Mapped[User] = relationship()


class AuthThrottle(Base):
    """Failed guesses of a secret (a password, a token, a query code) by one account or one
    address, and until when further tries are refused. Kept in the database so that every
    process and node sees the same count."""

    __tablename__ = "auth_throttles"

    key: Mapped[str] = mapped_column(
        String(200), primary_key=True, comment="account:<username>, address:<ip>, code:<ip>"
    )
    failures: Mapped[int] = mapped_column(Integer, comment="failed tries in the current window")
    first_failure_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_failure_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    blocked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    last_address: Mapped[str | None] = mapped_column(String(64))
    addresses: Mapped[str | None] = mapped_column(
        String(700),
        comment="the distinct addresses of this window's failures, comma-separated, the first ten",
    )


class SecondFactor(Base):
    """A user's authenticator app: a TOTP secret (RFC 6238), sealed because the server must read
    it back to check a code."""

    __tablename__ = "second_factors"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    secret_sealed: Mapped[str | None] = mapped_column(
        String(200),
        comment="the secret in use, SM4-GCM under a key derived from the secret key; NULL until "
        "a first code is confirmed",
    )
    new_secret_sealed: Mapped[str | None] = mapped_column(
        String(200),
        comment="a secret being enrolled; it replaces secret_sealed once a code from it is "
        "confirmed",
    )
    enabled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_step: Mapped[int | None] = mapped_column(
        Integer,
        comment="the 30-second time step of the last code accepted; no code of it or of an "
        "earlier step is taken again",
    )
    created_at: Mapped[CreatedAt]


class RecoveryCode(Base):
    """A one-time code that stands in for the authenticator app once (a lost phone)."""

    __tablename__ = "recovery_codes"

    id: Mapped[IntPK]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(
        String(200), comment="argon2id; the code is shown once and never stored"
    )
    created_at: Mapped[CreatedAt]
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class SignInNotice(Base):
    """Failed sign-ins that set off the throttle for an account, told to its owner when they
    next sign in: one per episode (from the first failure of a window until a success, or an
    hour without failures)."""

    __tablename__ = "sign_in_notices"
    __table_args__ = (UniqueConstraint("user_id", "episode_started_at"),)

    id: Mapped[IntPK]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    episode_started_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime(), comment="the episode's first failure (auth_throttles.first_failure_at)"
    )
    last_failure_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    failures: Mapped[int] = mapped_column(Integer)
    addresses: Mapped[str] = mapped_column(
        String(700), comment="the distinct addresses the failures came from, comma-separated"
    )
    created_at: Mapped[CreatedAt]
    seen_at: Mapped[dt.datetime | None] = mapped_column(
        UTCDateTime(), comment="when the owner dismissed it; shown at each sign-in until then"
    )
