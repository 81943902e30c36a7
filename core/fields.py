"""Model fields for personal data: encrypted at rest (SM4-GCM), plaintext in Python."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Left

from . import crypto

LOOKUP_LENGTH = 64


class EncryptedCharField(models.CharField):
    """A CharField whose column holds `crypto.encrypt` tokens (type text); `max_length` and
    validation apply to the plaintext. The empty string stays empty, so `field=""` filters
    still work; equality lookups go through `lookup_key` / `matches`."""

    def get_internal_type(self) -> str:
        return "TextField"

    def _context(self) -> str:
        return f"{self.model._meta.label_lower}.{self.name}"

    @property
    def encryption_context(self) -> str:
        """The associated data binding this column's tokens (for `crypto.encrypt_many`)."""
        return self._context()

    def from_db_value(self, value, expression, connection):
        if value is None or not crypto.is_token(value):
            return value
        return crypto.decrypt(value, context=self._context())

    def to_python(self, value):
        if crypto.is_token(value):
            return crypto.decrypt(value, context=self._context())
        return super().to_python(value)

    def get_prep_value(self, value):
        if crypto.is_token(value):
            # Already encrypted (e.g. by `crypto.encrypt_many` for a bulk insert): stored as it
            # is once it opens under this column's context; a token of another column raises.
            crypto.decrypt(value, context=self._context())
            return value
        value = super().get_prep_value(value)
        if value in (None, "") or crypto.is_token(value):
            return value
        return crypto.encrypt(str(value), context=self._context())


def lookup_key(field_path: str) -> Left:
    """The keyed-hash prefix of an encrypted column, for comparisons in SQL."""
    return Left(field_path, LOOKUP_LENGTH)


def matches(field_path: str, plaintext: str) -> models.Q:
    """Rows whose encrypted `field_path` equals `plaintext` (through the keyed hash)."""
    return models.Q(**{f"{field_path}__startswith": crypto.lookup_hash(plaintext) + ":"})
