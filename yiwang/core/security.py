"""Secrets at rest and in transit: password hashes (argon2), API token and session digests (SM3),
signed CSRF tokens, and secrets the server must read back (TOTP secrets) sealed with SM4-GCM."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

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


_SEALED = "sm4gcm1:"  # the format of a sealed value: this prefix, then base64 of nonce, text, tag
_NONCE_BYTES = 12
_TAG_BYTES = 16


class Unreadable(Exception):
    """A sealed value that this key cannot open: another key sealed it, or it was altered."""


def _sealing_key(secret_key: str, purpose: str) -> bytes:
    """A 128-bit SM4 key for ``purpose``, derived from the node's secret key (HMAC-SM3)."""
    return hmac.new(secret_key.encode(), f"seal:{purpose}".encode(), "sm3").digest()[:16]


def seal(secret_key: str, purpose: str, plaintext: str, *, context: str = "") -> str:
    """Encrypt and authenticate ``plaintext`` with SM4-GCM (GB/T 32907, GB/T 38635 modes) under
    a key derived from ``secret_key`` for ``purpose``; ``context`` (such as the owner's id) is
    bound to the result, so a sealed value moved to another row does not open."""
    nonce = secrets.token_bytes(_NONCE_BYTES)
    key = _sealing_key(secret_key, purpose)
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(context.encode())
    body = encryptor.update(plaintext.encode()) + encryptor.finalize()
    return _SEALED + base64.urlsafe_b64encode(nonce + body + encryptor.tag).decode()


def unseal(secret_key: str, purpose: str, sealed: str, *, context: str = "") -> str:
    """Return what :func:`seal` sealed, or raise :class:`Unreadable`."""
    if not sealed.startswith(_SEALED):
        raise Unreadable
    try:
        raw = base64.urlsafe_b64decode(sealed.removeprefix(_SEALED))
    except (binascii.Error, ValueError):
        raise Unreadable from None
    if len(raw) < _NONCE_BYTES + _TAG_BYTES:
        raise Unreadable
    nonce, body, tag = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:-_TAG_BYTES], raw[-_TAG_BYTES:]
    decryptor = Cipher(
        algorithms.SM4(_sealing_key(secret_key, purpose)), modes.GCM(nonce, tag)
    ).decryptor()
    decryptor.authenticate_additional_data(context.encode())
    try:
        return (decryptor.update(body) + decryptor.finalize()).decode()
    except (InvalidTag, UnicodeDecodeError):
        raise Unreadable from None
