"""SM-series cryptography for personal data (GB/T 39786-2021): SM4-GCM at rest, HMAC-SM3.

A stored value is `<lookup>:<key id>:<base64(nonce + ciphertext + tag)>`:
- `lookup` is HMAC-SM3 of the plaintext under FIELD_HASH_KEY, so equal values can be
  found or compared in SQL (`Left(field, 64)`) without decrypting;
- the key id names which key of FIELD_ENCRYPTION_KEYS encrypted it, so keys rotate
  (`manage.py rotate_field_keys` re-encrypts everything with FIELD_ENCRYPTION_KEY_ID);
- SM4-GCM authenticates the ciphertext and binds it to its column (associated data), so a
  value copied into another column or altered by a byte does not decrypt.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Iterable
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

TOKEN = re.compile(
    r"^(?P<lookup>[0-9a-f]{64}):(?P<kid>[A-Za-z0-9_-]{1,16}):(?P<data>[A-Za-z0-9_=-]+)$"
)
NONCE_BYTES = 12
TAG_BYTES = 16


class DecryptionError(Exception):
    """A stored value that does not decrypt (unknown key id, altered, or moved)."""


def _hex_key(value: str, *, name: str) -> bytes:
    try:
        key = bytes.fromhex(value.strip())
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be hexadecimal.") from exc
    if len(key) != 16:
        raise ImproperlyConfigured(f"{name} must be 16 bytes (32 hex digits) for SM4.")
    return key


@lru_cache(maxsize=8)
def _keys(spec: str) -> dict[str, bytes]:
    """`kid:hex,kid:hex` → {kid: key}."""
    keys: dict[str, bytes] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        kid, _sep, hexkey = part.partition(":")
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,16}", kid):
            raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEYS: bad key id {kid!r}.")
        keys[kid] = _hex_key(hexkey, name=f"FIELD_ENCRYPTION_KEYS[{kid}]")
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty.")
    return keys


def encryption_keys() -> dict[str, bytes]:
    return _keys(settings.FIELD_ENCRYPTION_KEYS)


def current_key_id() -> str:
    keys = encryption_keys()
    kid = settings.FIELD_ENCRYPTION_KEY_ID or next(iter(keys))
    if kid not in keys:
        raise ImproperlyConfigured(
            f"FIELD_ENCRYPTION_KEY_ID {kid!r} is not in FIELD_ENCRYPTION_KEYS."
        )
    return kid


def hmac_sm3(key: bytes, data: bytes) -> str:
    mac = crypto_hmac.HMAC(key, hashes.SM3())
    mac.update(data)
    return mac.finalize().hex()


def lookup_hash(plaintext: str) -> str:
    """HMAC-SM3 under FIELD_HASH_KEY: equal plaintexts give equal hashes (for lookups)."""
    return hmac_sm3(_hex_key(settings.FIELD_HASH_KEY, name="FIELD_HASH_KEY"), plaintext.encode())


def is_token(value: object) -> bool:
    return isinstance(value, str) and TOKEN.match(value) is not None


def encrypt(plaintext: str, *, context: str) -> str:
    kid = current_key_id()
    nonce = os.urandom(NONCE_BYTES)
    encryptor = Cipher(algorithms.SM4(encryption_keys()[kid]), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(context.encode())
    body = encryptor.update(plaintext.encode()) + encryptor.finalize() + encryptor.tag
    data = base64.urlsafe_b64encode(nonce + body).decode()
    _remember((data, context, encryption_keys()[kid]), plaintext)
    return f"{lookup_hash(plaintext)}:{kid}:{data}"


def encrypt_many(plaintexts: Iterable[str], *, context: str) -> dict[str, str]:
    """One token per distinct plaintext, for a bulk insert into one column.

    Rows holding the same value (a payee's account on each of its payment lines) share the
    token: the same nonce over the same plaintext and associated data gives the same
    ciphertext, which tells nothing beyond the equality the lookup hash already shows. A
    nonce is never reused for a different plaintext.
    """
    return {value: encrypt(value, context=context) for value in dict.fromkeys(plaintexts) if value}


def decrypt(token: str, *, context: str) -> str:
    match = TOKEN.match(token)
    if match is None:
        raise DecryptionError("not an encrypted value")
    key = encryption_keys().get(match["kid"])
    if key is None:
        raise DecryptionError(f"unknown key id {match['kid']!r}")
    memo_key = (match["data"], context, key)
    plaintext = _OPENED.get(memo_key)
    if plaintext is None:
        plaintext = _open(match["data"], context, key)
        _remember(memo_key, plaintext)
    return plaintext


# Plaintexts of tokens this process has decrypted or made, per exact (body, column, key).
# Decryption is a pure function of those three, so the memo changes nothing but time: a bulk
# read decrypts each organisation's account once per distinct stored token, not once per
# joined row, and a payment batch's lines of one payee share one token (`encrypt_many`).
# Failures raise and are never remembered. Bounded: cleared when full.
_OPENED: dict[tuple[str, str, bytes], str] = {}
OPENED_MAX = 16384


def _remember(memo_key: tuple[str, str, bytes], plaintext: str) -> None:
    if len(_OPENED) >= OPENED_MAX:
        _OPENED.clear()
    _OPENED[memo_key] = plaintext


def _open(data: str, context: str, key: bytes) -> str:
    """Authenticate and decrypt one token body."""
    raw = base64.urlsafe_b64decode(data)
    nonce, body, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-TAG_BYTES], raw[-TAG_BYTES:]
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(context.encode())
    try:
        return (decryptor.update(body) + decryptor.finalize()).decode()
    except (InvalidTag, UnicodeDecodeError) as exc:
        raise DecryptionError("integrity check failed") from exc


def key_id_of(token: str) -> str | None:
    match = TOKEN.match(token or "")
    return match["kid"] if match else None


# --- masked display ----------------------------------------------------------------------


def mask_account(value: str | None) -> str:
    """`6222024100123453333` → `6222 **** **** 3333`; short values keep only the last 4."""
    digits = (value or "").replace(" ", "")
    if not digits:
        return ""
    if len(digits) < 12:
        return "**** " + digits[-4:] if len(digits) > 4 else "****"
    return f"{digits[:4]} **** **** {digits[-4:]}"


def mask_phone(value: str | None) -> str:
    """`13812345678` → `138****5678`; `029-33112233` → `029****2233`."""
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) < 7:
        return "****"
    return f"{value[:3]}****{value[-4:]}"


PERSONAL_MASKS = {"bank_account": mask_account, "contact_phone": mask_phone, "phone": mask_phone}


def mask_personal(values: dict) -> dict:
    """A copy with bank accounts and phone numbers masked (for audit JSON and logs)."""
    return {
        key: PERSONAL_MASKS[key](value)
        if key in PERSONAL_MASKS and isinstance(value, str)
        else value
        for key, value in values.items()
    }
