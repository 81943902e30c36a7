"""Text from users: control characters, full-width input, and ids posted as text.

A C0 control character (other than tab, line feed and carriage return) or DEL has no place in a
name, an account or a comment: it is invisible on the page, and a worksheet refuses it (one
such payee name made a whole batch's Excel payment list fail). Forms and API bodies refuse
it with one message; the export writer drops any that older data still holds.
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_CHARACTERS_MESSAGE = _("含有不可见的控制字符（如从其他软件复制时带入），请删除后重新提交。")


def refuse_control_characters(value) -> None:
    """A form field validator."""
    if isinstance(value, str) and CONTROL_CHARACTERS.search(value):
        raise ValidationError(CONTROL_CHARACTERS_MESSAGE, code="control_characters")


def control_character_paths(data, path: str = "") -> list[str]:
    """The paths ("facts.name", "rows.3.reason") of the strings in parsed JSON that hold one."""
    found: list[str] = []
    if isinstance(data, str):
        if CONTROL_CHARACTERS.search(data):
            found.append(path or "body")
    elif isinstance(data, dict):
        for key, value in data.items():
            where = f"{path}.{key}" if path else str(key)
            if CONTROL_CHARACTERS.search(str(key)):
                found.append(where)
            found.extend(control_character_paths(value, where))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found.extend(control_character_paths(value, f"{path}.{index}" if path else str(index)))
    return found


def parse_id(raw: str) -> int | None:
    """A posted or queried id: ASCII digits that fit a bigint and are positive, else None.
    ("²".isdigit() and "１".isdigit() are true, and int("²") raised: a 500.)"""
    if raw.isascii() and raw.isdigit() and len(raw) <= 18 and (value := int(raw)) > 0:
        return value
    return None


def compact_nfkc(value: str) -> str:
    """As a person typed it with a Chinese input method, written plainly: full-width letters
    and digits (ＡＢ１２３) as ASCII (NFKC), every space dropped."""
    return "".join(unicodedata.normalize("NFKC", value or "").split())
