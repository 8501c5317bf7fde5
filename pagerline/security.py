"""Secrets: generation, hashing and constant-time comparison.

Tokens and integration keys are random (at least 128 bits) and stored only as SHA-256 digests.
A fast hash is right here (unlike passwords) because the secrets are long and random: there is
nothing to brute-force. Lookups go by digest; the final comparison is constant-time anyway.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_password_hasher = PasswordHasher()


def new_secret(prefix: str, nbytes: int = 24) -> str:
    """A URL-safe secret of ``nbytes`` random bytes (192 bits by default) with a readable prefix."""
    return f"{prefix}_{secrets.token_urlsafe(nbytes)}"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def digests_match(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def hash_password(password: str) -> str:
    return _password_hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        # Spend the same time as a real check so unknown accounts do not answer faster.
        _password_hasher.hash(password)
        return False
    try:
        return _password_hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
