"""Secrets at rest and in transit: password hashes (argon2), API token and session digests (SM3),
and signed CSRF tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
TOKEN_PREFIX = "yw_"  # noqa: S105  (marks a token as ours; not a secret)


def sm3_hex(data: bytes | str) -> str:
    """Return the SM3 digest of ``data`` (GB/T 32905) as hex, from OpenSSL through hashlib."""
    if isinstance(data, str):
        data = data.encode()
    return hashlib.new("sm3", data).hexdigest()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Return whether ``password`` matches; False for users without a password."""
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def new_api_token() -> str:
    """Return a new API token: 256 random bits, recognisable by its prefix."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """Return what is stored for a token. Tokens carry 256 random bits, so an unsalted digest
    is safe and lets a token be looked up directly."""
    return sm3_hex(token)


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def sign(secret_key: str, purpose: str, value: str) -> str:
    """Return an HMAC-SHA256 of ``value`` bound to ``purpose``."""
    return hmac.new(secret_key.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def signature_matches(secret_key: str, purpose: str, value: str, signature: str) -> bool:
    return hmac.compare_digest(sign(secret_key, purpose, value), signature)
