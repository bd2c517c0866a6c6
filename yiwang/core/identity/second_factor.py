"""Two-step sign-in (GB/T 22239-2019 level 3, 身份鉴别: two or more combined techniques for
administrators; OWASP ASVS 4.0.3 V2.8): one-time codes from an authenticator app per RFC 6238
(SHA-1, six digits, 30-second steps: what every authenticator app reads) and ten one-time
recovery codes.

- The TOTP secret is sealed at rest (SM4-GCM under a key derived from the node's secret key,
  bound to the user's id): the server must read it back to check a code. Recovery codes are
  kept as argon2id hashes only, and shown once.
- A code is taken for the time step before, at or after now (clocks drift), never for a step
  at or before the last one taken: a code that was used once, or seen over a shoulder, is
  refused (ASVS V2.8.4).
- The roles in ``mfa_required_roles`` must have one; with ``mfa_opt_in`` anyone else may.
- A browser login of a user who has one, or must have one, begins *pending*: it grants
  nothing but the second step (the code, or setting up an app when there is none yet) and
  ends after :data:`PENDING_MINUTES`.
- API tokens are the way machines sign in, without a second factor; HTTP Basic with the
  password of such a user is refused (a password alone would do).
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
import secrets
from dataclasses import dataclass, field

import pyotp
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from yiwang.core import audit, cache, clock
from yiwang.core.config import Settings
from yiwang.core.errors import AppError, InvalidInput, Unauthenticated
from yiwang.core.identity.models import RecoveryCode, SecondFactor, User, WebSession
from yiwang.core.identity.service import IDENTITY, actor_for, get_user
from yiwang.core.policy import (
    Actor,
    can_manage_second_factor,
    can_reset_second_factor,
    require,
)
from yiwang.core.security import (
    Unreadable,
    hash_password,
    new_session_id,
    seal,
    token_digest,
    unseal,
    verify_password,
)

STEP_SECONDS = 30
RECOVERY_CODES = 10
PENDING_MINUTES = 15  # time to find the phone, or to install an app and scan the code
SEAL_PURPOSE = "totp-secret"  # what sealed TOTP secrets are bound to
_TOTP_CODE = re.compile(r"^[0-9]{6}$")
_RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i to misread
_RECOVERY_LENGTH = 10  # about 50 bits each


@dataclass(frozen=True, slots=True)
class Options:
    """What a node's settings say about second factors, and the key that seals secrets."""

    required_roles: frozenset[str]
    opt_in: bool
    issuer: str
    secret_key: str = field(repr=False)


def configured(settings: Settings) -> Options:
    return Options(
        required_roles=frozenset(settings.mfa_required_roles),
        opt_in=settings.mfa_opt_in,
        issuer=settings.mfa_issuer,
        secret_key=settings.secret(),
    )


@dataclass(frozen=True, slots=True)
class Status:
    """A user's second factor as their account page shows it."""

    required: bool
    offered: bool  # may be turned on (required, or open to everyone)
    enabled_at: dt.datetime | None
    enrolling: bool  # a new secret waits for its first code
    recovery_codes_left: int

    @property
    def enabled(self) -> bool:
        return self.enabled_at is not None


@dataclass(frozen=True, slots=True)
class Enrolment:
    """A secret being set up: for the app to scan (``uri``) or to type in (``secret``)."""

    secret: str
    uri: str


def is_required(user: User, options: Options) -> bool:
    return user.role in options.required_roles


def _row(session: Session, user_id: int, *, lock: bool = False) -> SecondFactor | None:
    return session.get(SecondFactor, user_id, with_for_update=lock or None)


def is_enabled(session: Session, user_id: int) -> bool:
    row = _row(session, user_id)
    return row is not None and row.secret_sealed is not None


def asks_second_step(session: Session, user: User, options: Options) -> bool:
    """Whether signing in takes a code after the password (or setting up an app first)."""
    return is_required(user, options) or is_enabled(session, user.id)


def status(session: Session, *, user: User, options: Options) -> Status:
    row = _row(session, user.id)
    left = session.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )
    required = is_required(user, options)
    return Status(
        required=required,
        offered=required or options.opt_in,
        enabled_at=row.enabled_at if row is not None and row.secret_sealed else None,
        enrolling=row is not None and row.new_secret_sealed is not None,
        recovery_codes_left=int(left or 0),
    )


def _open(sealed: str, options: Options, user_id: int) -> str:
    try:
        return unseal(options.secret_key, SEAL_PURPOSE, sealed, context=str(user_id))
    except Unreadable:
        raise AppError("second_factor.unreadable", status_code=500) from None


def _step(moment: dt.datetime) -> int:
    return int(moment.timestamp()) // STEP_SECONDS


def _totp_step(secret: str, code: str, last_step: int | None) -> int | None:
    """The time step (now, or one either side) whose code ``code`` is, unless that step is not
    after ``last_step``; else None."""
    if not _TOTP_CODE.match(code):
        return None
    totp = pyotp.TOTP(secret)
    now = _step(clock.now())
    for step in (now - 1, now, now + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _normalized_recovery_code(code: str) -> str | None:
    text = code.strip().lower().replace("-", "").replace(" ", "")
    if len(text) != _RECOVERY_LENGTH or any(c not in _RECOVERY_ALPHABET for c in text):
        return None
    return text


def _spend_recovery_code(session: Session, user_id: int, code: str) -> bool:
    """Mark the unused recovery code ``code`` used and return True, or return False."""
    text = _normalized_recovery_code(code)
    if text is None:
        return False
    unused = session.scalars(
        select(RecoveryCode)
        .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
        .order_by(RecoveryCode.id)
        .with_for_update()
    ).all()
    for row in unused:  # at most ten argon2 checks, on the rare path of a lost phone
        if verify_password(row.code_hash, text):
            row.used_at = clock.now()
            session.flush()
            return True
    return False


def _new_recovery_codes(session: Session, user_id: int) -> list[str]:
    """Replace the user's recovery codes with new ones; return them (they are not kept)."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = []
    for _ in range(RECOVERY_CODES):
        text = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        session.add(RecoveryCode(user_id=user_id, code_hash=hash_password(text)))
        codes.append(f"{text[:5]}-{text[5:]}")
    session.flush()
    return codes


def _failed(session: Session, user: User, *, during: str, via: str) -> None:
    audit.record(
        session,
        actor=actor_for(user, via=via),
        action="user.second_factor_failed",
        object_type="user",
        object_id=user.id,
        outcome="denied",
        details={"during": during},
    )


def _check(
    session: Session, user: User, row: SecondFactor, code: str, options: Options, *, via: str
) -> str | None:
    """Take a code of the app in use (recorded, so it is not taken again) or spend a recovery
    code; return which it was, or None."""
    assert row.secret_sealed is not None  # noqa: S101
    step = _totp_step(_open(row.secret_sealed, options, user.id), code.strip(), row.last_step)
    if step is not None:
        row.last_step = step
        session.flush()
        return "app"
    if _spend_recovery_code(session, user.id, code):
        left = session.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        )
        audit.record(
            session,
            actor=actor_for(user, via=via),
            action="user.recovery_code_used",
            object_type="user",
            object_id=user.id,
            details={"left": int(left or 0)},
        )
        return "recovery_code"
    return None


def _proved(
    session: Session, user: User, code: str, options: Options, *, during: str, via: str
) -> str:
    """Check a current code of the user's app (or a recovery code) before a change; audit and
    raise :class:`Unauthenticated` when it is wrong."""
    row = _row(session, user.id, lock=True)
    if row is None or row.secret_sealed is None:
        raise InvalidInput("second_factor.not_enabled")
    used = _check(session, user, row, code, options, via=via)
    if used is None:
        _failed(session, user, during=during, via=via)
        raise Unauthenticated("second_factor.wrong_code")
    return used


# --- setting up, replacing, turning off --------------------------------------------------------


def start_enrolment(
    session: Session, *, actor: Actor, user_id: int, options: Options, code: str | None = None
) -> None:
    """Make a new secret for the user's app to take up; it replaces any earlier one being set
    up. Replacing the app in use takes a current ``code`` of it (or a recovery code)."""
    require(
        can_manage_second_factor(actor, owner_id=user_id),
        "user.second_factor_enrol",
        object_type="user",
        object_id=user_id,
    )
    user = get_user(session, user_id)
    row = _row(session, user.id, lock=True)
    replacing = row is not None and row.secret_sealed is not None
    if not replacing and not (is_required(user, options) or options.opt_in):
        raise AppError("second_factor.not_offered", status_code=403)
    if replacing:
        _proved(session, user, code or "", options, during="replace", via=actor.via)
    if row is None:
        row = SecondFactor(user_id=user.id)
        session.add(row)
    row.new_secret_sealed = seal(
        options.secret_key, SEAL_PURPOSE, pyotp.random_base32(), context=str(user.id)
    )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.second_factor_enrolment",
        object_type="user",
        object_id=user.id,
        details={"replacing": replacing},
    )


def cancel_enrolment(session: Session, *, actor: Actor, user_id: int) -> None:
    """Forget the secret being set up; the one in use, if any, stays."""
    require(
        can_manage_second_factor(actor, owner_id=user_id),
        "user.second_factor_enrol",
        object_type="user",
        object_id=user_id,
    )
    row = _row(session, user_id, lock=True)
    if row is None or row.new_secret_sealed is None:
        return
    if row.secret_sealed is None:
        session.delete(row)
    else:
        row.new_secret_sealed = None
    session.flush()


def enrolment(session: Session, *, user: User, options: Options) -> Enrolment | None:
    """The secret being set up for ``user``, to show them, or None."""
    row = _row(session, user.id)
    if row is None or row.new_secret_sealed is None:
        return None
    secret = _open(row.new_secret_sealed, options, user.id)
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=options.issuer)
    return Enrolment(secret=secret, uri=uri)


def confirm_enrolment(
    session: Session,
    *,
    actor: Actor,
    user_id: int,
    code: str,
    options: Options,
    keep_session: str | None = None,
) -> list[str]:
    """Turn the secret being set up on, given a code from the app that took it up, and return
    ten new recovery codes (not kept: show them once). The user's other web logins end, but
    the one whose cookie is ``keep_session``."""
    require(
        can_manage_second_factor(actor, owner_id=user_id),
        "user.second_factor_enrol",
        object_type="user",
        object_id=user_id,
    )
    user = get_user(session, user_id)
    row = _row(session, user.id, lock=True)
    if row is None or row.new_secret_sealed is None:
        raise InvalidInput("second_factor.no_enrolment")
    step = _totp_step(_open(row.new_secret_sealed, options, user.id), code.strip(), None)
    if step is None:
        _failed(session, user, during="enrolment", via=actor.via)
        raise Unauthenticated("second_factor.wrong_code")
    replaced = row.secret_sealed is not None
    row.secret_sealed, row.new_secret_sealed = row.new_secret_sealed, None
    row.enabled_at = clock.now()
    row.last_step = step
    codes = _new_recovery_codes(session, user.id)
    _end_web_sessions(session, user.id, keep=keep_session)
    audit.record(
        session,
        actor=actor,
        action="user.second_factor_on",
        object_type="user",
        object_id=user.id,
        details={"replaced": replaced, "recovery_codes": len(codes)},
    )
    return codes


def regenerate_recovery_codes(
    session: Session, *, actor: Actor, user_id: int, code: str, options: Options
) -> list[str]:
    """Replace the user's recovery codes, given a current code; return the new ones."""
    require(
        can_manage_second_factor(actor, owner_id=user_id),
        "user.recovery_codes",
        object_type="user",
        object_id=user_id,
    )
    user = get_user(session, user_id)
    _proved(session, user, code, options, during="recovery_codes", via=actor.via)
    codes = _new_recovery_codes(session, user.id)
    audit.record(
        session,
        actor=actor,
        action="user.recovery_codes",
        object_type="user",
        object_id=user.id,
        details={"recovery_codes": len(codes)},
    )
    return codes


def disable(session: Session, *, actor: Actor, user_id: int, code: str, options: Options) -> None:
    """Turn the user's second factor off, given a current code; not for a role that must
    have one."""
    require(
        can_manage_second_factor(actor, owner_id=user_id),
        "user.second_factor_off",
        object_type="user",
        object_id=user_id,
    )
    user = get_user(session, user_id)
    if is_required(user, options):
        raise AppError("second_factor.required", status_code=403)
    _proved(session, user, code, options, during="disable", via=actor.via)
    _remove(session, user.id)
    audit.record(
        session, actor=actor, action="user.second_factor_off", object_type="user", object_id=user.id
    )


def reset(session: Session, *, actor: Actor, user_id: int) -> bool:
    """Remove someone's second factor and recovery codes (a lost phone) and end their web
    logins; they set one up again at their next sign-in if their role must have one. Return
    whether they had one."""
    user = get_user(session, user_id)
    require(
        can_reset_second_factor(actor, user_id=user.id),
        "user.second_factor_reset",
        object_type="user",
        object_id=user.id,
    )
    had = is_enabled(session, user.id)
    _remove(session, user.id)
    _end_web_sessions(session, user.id, keep=None)
    audit.record(
        session,
        actor=actor,
        action="user.second_factor_reset",
        object_type="user",
        object_id=user.id,
        details={"had_one": had},
    )
    return had


def _remove(session: Session, user_id: int) -> None:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    session.execute(delete(SecondFactor).where(SecondFactor.user_id == user_id))
    session.flush()


def _end_web_sessions(session: Session, user_id: int, *, keep: str | None) -> None:
    query = delete(WebSession).where(WebSession.user_id == user_id)
    if keep is not None:
        query = query.where(WebSession.session_digest != token_digest(keep))
    session.execute(query)
    session.flush()
    cache.bump(session, IDENTITY)


# --- the second step of a browser login --------------------------------------------------------


def start_pending_sign_in(session: Session, *, user: User, options: Options) -> str:
    """Record a browser login whose password was right and whose second step is to come, and
    return its cookie value. A user who must have a second factor and has none is given a new
    secret to set up (a new one at each sign-in: one seen at an abandoned try is of no use)."""
    enrolled = is_enabled(session, user.id)
    if not enrolled:
        start_enrolment(
            session, actor=actor_for(user, via="password"), user_id=user.id, options=options
        )
    raw = new_session_id()
    session.add(
        WebSession(
            session_digest=token_digest(raw),
            user_id=user.id,
            expires_at=clock.now() + dt.timedelta(minutes=PENDING_MINUTES),
            second_factor_pending=True,
        )
    )
    session.flush()
    audit.record(
        session,
        actor=actor_for(user, via="password"),
        action="user.login_password",
        object_type="user",
        object_id=user.id,
        details={"next": "code" if enrolled else "enrolment"},
    )
    return raw


def pending_sign_in(session: Session, raw: str) -> User | None:
    """The active user whose login, by cookie ``raw``, waits for its second step, or None."""
    row = session.execute(
        select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .where(
            WebSession.session_digest == token_digest(raw),
            WebSession.second_factor_pending.is_(True),
        )
    ).first()
    if row is None:
        return None
    web_session, user = row
    if web_session.expires_at <= clock.now() or not user.is_active:
        return None
    return user


def verify(session: Session, *, user: User, code: str, options: Options) -> str:
    """The second step of a sign-in: take a code of the user's app, or spend a recovery code.
    Return which it was ("app" or "recovery_code"); audit and raise :class:`Unauthenticated`
    when it is neither."""
    row = _row(session, user.id, lock=True)
    if row is None or row.secret_sealed is None:
        raise InvalidInput("second_factor.not_enabled")
    used = _check(session, user, row, code, options, via="password")
    if used is None:
        _failed(session, user, during="sign_in", via="password")
        raise Unauthenticated("second_factor.wrong_code")
    audit.record(
        session,
        actor=actor_for(user, via="password"),
        action="user.second_factor_verified",
        object_type="user",
        object_id=user.id,
        details={"with": used},
    )
    return used


def end_pending_sign_in(session: Session, raw: str) -> None:
    """Forget a login waiting for its second step (done, or given up)."""
    session.execute(
        delete(WebSession).where(
            WebSession.session_digest == token_digest(raw),
            WebSession.second_factor_pending.is_(True),
        )
    )
    session.flush()
