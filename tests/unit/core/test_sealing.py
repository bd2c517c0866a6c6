"""Secrets the server must read back (authenticator apps' secrets) are sealed with SM4-GCM: only
the same key, purpose and owner open them, and any change to a sealed value is caught."""

from __future__ import annotations

import pytest

from yiwang.core.security import Unreadable, seal, unseal

KEY = "a-secret-key-of-this-node"


def test_a_sealed_value_opens_with_its_key_purpose_and_owner_only() -> None:
    sealed = seal(KEY, "totp-secret", "JBSWY3DPEHPK3PXP", context="7")
    assert "JBSWY3DPEHPK3PXP" not in sealed
    assert sealed != seal(KEY, "totp-secret", "JBSWY3DPEHPK3PXP", context="7")  # a new nonce
    assert unseal(KEY, "totp-secret", sealed, context="7") == "JBSWY3DPEHPK3PXP"
    for key, purpose, context in (
        ("another key", "totp-secret", "7"),
        (KEY, "another purpose", "7"),
        (KEY, "totp-secret", "8"),  # moved to another user's row
    ):
        with pytest.raises(Unreadable):
            unseal(key, purpose, sealed, context=context)


@pytest.mark.parametrize("damage", ["flip", "cut", "prefix", "garbage"])
def test_a_damaged_sealed_value_does_not_open(damage: str) -> None:
    sealed = seal(KEY, "totp-secret", "JBSWY3DPEHPK3PXP")
    body = sealed.split(":", 1)[1]
    damaged = {
        "flip": sealed[:-3] + ("A" if sealed[-3] != "A" else "B") + sealed[-2:],
        "cut": sealed[:20],
        "prefix": "aes:" + body,
        "garbage": "sm4gcm1:!!!",
    }[damage]
    with pytest.raises(Unreadable):
        unseal(KEY, "totp-secret", damaged)
