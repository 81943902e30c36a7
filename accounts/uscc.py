"""统一社会信用代码 (GB 32100-2015) validation, on top of python-stdnum's checksum."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength

# The code alphabet: digits and capitals without I, O, S, V, Z.
ALPHABET = frozenset("0123456789ABCDEFGHJKLMNPQRTUWXY")


class USCCChecksumError(ValidationError):
    """Only the check character is wrong: a policy administrator may accept it with a reason."""


def validate_uscc(value: str) -> str:
    """Return the code if valid, or raise a ValidationError with the specific problem."""
    code = (value or "").strip()
    if len(code) != 18:
        raise ValidationError(
            _("统一社会信用代码应为18位，当前为%(n)d位。") % {"n": len(code)}, code="uscc_length"
        )
    if code != code.upper():
        raise ValidationError(_("统一社会信用代码中的字母须为大写。"), code="uscc_lowercase")
    bad = sorted({ch for ch in code if ch not in ALPHABET})
    if bad:
        raise ValidationError(
            _("统一社会信用代码含有不允许的字符：%(chars)s（不使用 I、O、S、V、Z）。")
            % {"chars": "、".join(bad)},
            code="uscc_alphabet",
        )
    try:
        stdnum_uscc.validate(code)
    except InvalidChecksum as exc:
        raise USCCChecksumError(
            _("统一社会信用代码校验位不正确（应为 %(expected)s）。")
            % {"expected": stdnum_uscc.calc_check_digit(code[:-1])},
            code="uscc_checksum",
        ) from exc
    except (InvalidFormat, InvalidLength, InvalidComponent) as exc:
        raise ValidationError(_("统一社会信用代码格式不正确。"), code="uscc_format") from exc
    return code
