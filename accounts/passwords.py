"""Password rules beyond Django's validators: length (in Chinese), character classes, and one
check for common passwords (Django's list and local patterns, one message)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

LOCAL_LIST = Path(__file__).resolve().parent / "data" / "common-passwords-local.txt"
CLASSES = (
    re.compile(r"[a-z]"),
    re.compile(r"[A-Z]"),
    re.compile(r"[0-9]"),
    re.compile(r"[^a-zA-Z0-9]"),
)


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's, with its message in Chinese (Django 5.2's wording has no zh-Hans translation)."""

    def get_error_message(self) -> str:
        return ngettext(
            "密码太短，至少需要%(min_length)d个字符。",
            "密码太短，至少需要%(min_length)d个字符。",
            self.min_length,
        ) % {"min_length": self.min_length}

    def get_help_text(self) -> str:
        return ngettext(
            "密码至少需要%(min_length)d个字符。",
            "密码至少需要%(min_length)d个字符。",
            self.min_length,
        ) % {"min_length": self.min_length}


class CharacterClassesValidator:
    """At least N of: lowercase, uppercase, digits, other characters."""

    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user=None) -> None:
        if sum(1 for pattern in CLASSES if pattern.search(password)) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self) -> str:
        return ngettext(
            "密码须包含大写字母、小写字母、数字、符号中的至少%(n)d类。",
            "密码须包含大写字母、小写字母、数字、符号中的至少%(n)d类。",
            self.min_classes,
        ) % {"n": self.min_classes}


@cache
def _local_words() -> frozenset[str]:
    lines = LOCAL_LIST.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and line[0] != "#")


def _core(password: str) -> str:
    """The letters of a password with years, digits and symbols removed: Xianyang@2025 → xianyang."""
    lowered = password.lower()
    lowered = re.sub(r"(19|20)\d{2}", "", lowered)
    return re.sub(r"[^a-z]", "", lowered)


# Letters typed as look-alike digits and symbols: P@ssw0rd is "password".
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)


def _stem(password: str) -> str:
    """The word inside: digits and symbols trimmed from both ends, look-alikes read as
    letters (P@ssw0rd123 → password, Passw0rd!23 → password)."""
    trimmed = re.sub(r"^[\d\W_]+|[\d\W_]+$", "", password.lower())
    return trimmed.translate(_LEET)


class LocalPatternValidator(password_validation.CommonPasswordValidator):
    """Django's list of 20,000 common passwords, plus pinyin words, place names, keyboard rows
    and repeats, with or without a year: one check, so a common password gets one message."""

    def validate(self, password: str, user=None) -> None:
        core = _core(password)
        stem = _stem(password)
        words = _local_words()
        if (
            password.lower().strip() in self.passwords
            or (len(stem) >= 4 and (stem in self.passwords or stem in words))
            or password.lower() in words
            or core in words
            or len(set(password.lower())) <= 2
            or (len(core) >= 4 and any(core in row for row in _keyboard_rows()))
        ):
            raise ValidationError(
                _("密码过于常见（拼音、地名、键盘序列或“单词+年份”），请换一个。"),
                code="password_too_common",
            )

    def get_help_text(self) -> str:
        return _("不能使用拼音、地名、键盘序列或“单词+年份”这类常见组合。")


@cache
def _keyboard_rows() -> tuple[str, ...]:
    rows = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "1qaz2wsx3edc", "abcdefghijklmnopqrstuvwxyz")
    return (*rows, *(row[::-1] for row in rows))
