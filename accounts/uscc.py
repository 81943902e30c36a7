"""统一社会信用代码 (GB 32100-2015) validation, on top of python-stdnum's checksum."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum.cn import uscc as stdnum_uscc

from core.text import compact_nfkc

# The code alphabet: digits and capitals without I, O, S, V, Z.
ALPHABET = frozenset("0123456789ABCDEFGHJKLMNPQRTUWXY")
# GB 32100-2015 登记管理部门代码: 1 机构编制, 5 民政, 9 工商 (市场监管), A-N … and Y 其他.
REGISTRATION_AUTHORITIES = frozenset("123456789ANY")


class USCCChecksumError(ValidationError):
    """Only the check character is wrong: a policy administrator may accept it with a reason."""


def normalise_uscc(value: str) -> str:
    """The code as a person typed it into a form, written as the standard writes it:
    full-width characters (a Chinese input method) as ASCII, spaces dropped, letters capital.
    Imports and the API take the code as given and get validate_uscc's specific refusals."""
    return compact_nfkc(value).upper()


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
    # python-stdnum's validate() wants 8 leading digits, which refuses the registration
    # authorities N (农业, e.g. 农民专业合作社) and Y (其他); GB 32100-2015 allows 1-9, A, N, Y
    # in position 1 and a category character in position 2. We check the layout here and
    # take only the check character from stdnum.
    if code[0] not in REGISTRATION_AUTHORITIES:
        raise ValidationError(
            _("统一社会信用代码第1位（登记管理部门代码）应为1-9、A、N或Y，当前为%(ch)s。")
            % {"ch": code[0]},
            code="uscc_format",
        )
    if not code[2:8].isdigit():
        raise ValidationError(
            _("统一社会信用代码第3至8位应为登记管理机关行政区划码（6位数字）。"),
            code="uscc_format",
        )
    expected = stdnum_uscc.calc_check_digit(code[:17])
    if code[17] != expected:
        raise USCCChecksumError(
            _("统一社会信用代码校验位不正确（应为 %(expected)s）。") % {"expected": expected},
            code="uscc_checksum",
        )
    return code
