"""Service-account keys: `xyk_<prefix>.<secret>`; only SHA-256 of the whole key is stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets

PREFIX = "xyk_"


def key_new() -> tuple[str, str, str]:
    """A fresh key: (the key to show once, its lookup prefix, its hash)."""
    prefix = secrets.token_hex(6)
    key = f"{PREFIX}{prefix}.{secrets.token_urlsafe(32)}"
    return key, prefix, key_hash(key)


def key_hash(key: str) -> str:
    # Keys are 256-bit random: a plain hash is enough (nothing to brute-force), and fast.
    return hashlib.sha256(key.encode()).hexdigest()


def key_prefix(key: str) -> str | None:
    if not key.startswith(PREFIX) or "." not in key:
        return None
    return key[len(PREFIX) :].split(".", 1)[0]


def key_matches(key: str, stored_hash: str) -> bool:
    return hmac.compare_digest(key_hash(key), stored_hash)


def signature(secret: str, body: bytes, timestamp: str) -> str:
    """HMAC-SHA256 over `timestamp.body`, hex: what the receiving platform recomputes."""
    message = timestamp.encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
