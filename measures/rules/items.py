"""Identity of rewarded items (products, certificates): normalised keys (pure Python).

"节能 电机" and "节能电机", "〔2025〕" and "[2025]", full-width and half-width forms give the
same key, so one item is rewarded at most once however it is typed; "甲、乙" and "乙、甲" are
the same two products.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Separators between items of a list typed in one field.
_SEPARATORS = re.compile(r"[、，,；;\n\r]+")
# Unicode categories dropped from a key: punctuation, separators (spaces), control characters.
_DROPPED = ("P", "Z", "C")


def item_key(text: object) -> str:
    """The normalised key of one item: NFKC, no spacing or punctuation, case-folded."""
    return _key(str(text))


# Pure functions of a string, called for every evaluation of a clause with an item field (the
# calculator, the duplicate checks): remembered per process, bounded.
@lru_cache(maxsize=65536)
def _key(text: str) -> str:
    value = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in value if unicodedata.category(ch)[0] not in _DROPPED).casefold()


def item_keys(text: object, *, many: bool) -> tuple[str, ...]:
    """Distinct keys in the order typed; `many` splits a list (甲、乙), else one item."""
    if text is None:
        return ()
    return _keys(str(text), many)


@lru_cache(maxsize=65536)
def _keys(text: str, many: bool) -> tuple[str, ...]:
    parts = _SEPARATORS.split(text) if many else [text]
    keys: list[str] = []
    for part in parts:
        key = _key(part)
        if key and key not in keys:
            keys.append(key)
    return tuple(keys)


def item_names(text: object) -> dict[str, str]:
    """key → the name as first typed, for messages."""
    names: dict[str, str] = {}
    for part in _SEPARATORS.split(str(text or "")):
        key = item_key(part)
        if key and key not in names:
            names[key] = part.strip()
    return names


__all__ = ["item_key", "item_keys", "item_names"]
