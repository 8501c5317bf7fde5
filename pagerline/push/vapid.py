"""VAPID (RFC 8292): the server's P-256 key pair that identifies it to browser push services.

The browser subscribes with the *application server key* (the public key, 65 bytes uncompressed,
base64url without padding, which ``PushManager.subscribe`` takes as ``applicationServerKey``);
every push is then sent with ``Authorization: vapid t=<JWT>, k=<that public key>``, the JWT signed
with the private key (ES256) and naming the push service's origin as ``aud``. A push service
refuses pushes signed by any other key, so every server process and worker must use the same one:
see :mod:`pagerline.engine.people.web_push` for where it is kept.

Pure functions, no I/O. The private key is written as the base64url of its 32-byte scalar (what
``web-push generate-vapid-keys`` and py_vapid print); a PEM key is accepted too.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

#: How long a signed JWT is valid. RFC 8292 caps ``exp`` at 24 hours; 12 leaves room for a
#: server clock that runs ahead of the push service's.
JWT_LIFETIME_SECONDS = 12 * 3600


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """base64url with or without padding; ``ValueError`` on anything else (standard base64's
    ``+`` and ``/`` included: browsers never send them)."""
    if not text or any(c not in _B64URL for c in text.rstrip("=")):
        raise ValueError("not base64url")
    stripped = text.rstrip("=")
    try:
        return base64.urlsafe_b64decode(stripped + "=" * (-len(stripped) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url") from exc


_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def generate_private_key() -> str:
    """A new private key as the base64url of its 32-byte scalar."""
    key = ec.generate_private_key(ec.SECP256R1())
    return b64url(key.private_numbers().private_value.to_bytes(32, "big"))


def load_private_key(text: str) -> ec.EllipticCurvePrivateKey:
    """The key in ``text``: base64url of the 32-byte scalar, or PEM (PKCS#8 or SEC 1).
    ``ValueError`` saying what is wrong, without echoing the key."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_private_key(text.encode(), password=None)
        except (ValueError, TypeError) as exc:
            raise ValueError("not a readable PEM private key") from exc
        if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
            raise ValueError("the PEM key is not a P-256 (prime256v1) key")
        return key
    try:
        raw = b64url_decode(text)
    except ValueError:
        raise ValueError("expected the base64url of a 32-byte P-256 private key, or a PEM key") from None
    if len(raw) != 32:
        raise ValueError(f"a P-256 private key is 32 bytes, this one is {len(raw)}")
    try:
        return ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
    except ValueError as exc:  # zero, or not below the curve order
        raise ValueError("not a valid P-256 private key") from exc


def application_server_key(key: ec.EllipticCurvePrivateKey) -> str:
    """The public key as browsers take it: uncompressed point (65 bytes), base64url, no padding."""
    point = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return b64url(point)


def origin_of(endpoint: str) -> str:
    """``scheme://host[:port]`` of a push endpoint: the JWT's ``aud``."""
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def authorization(key: ec.EllipticCurvePrivateKey, endpoint: str, subject: str, now: float) -> str:
    """The ``Authorization`` header for one push to ``endpoint`` (RFC 8292 section 3):
    ``vapid t=<ES256 JWT with aud, exp, sub>, k=<application server key>``. ``now``: Unix
    seconds (a parameter so tests can check ``exp`` without reading the clock)."""
    claims = {"aud": origin_of(endpoint), "exp": int(now) + JWT_LIFETIME_SECONDS, "sub": subject}
    token = jwt.encode(claims, key, algorithm="ES256", headers={"typ": "JWT"})
    return f"vapid t={token}, k={application_server_key(key)}"
