"""Money helpers: yuan as Decimal with two places, figures and Chinese capitals."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

import cn2an

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999999.99")  # DecimalField(max_digits=14, decimal_places=2)


class MoneyError(ValueError):
    """A value that cannot be an amount of yuan; the message is for the user."""


def parse_money(value: object) -> Decimal:
    """Parse user input into yuan; refuse floats' noise, >2 decimals, negatives and absurd sizes."""
    if isinstance(value, float):
        value = repr(value)
    try:
        amount = Decimal(str(value).strip().replace(",", "").replace("，", ""))
    except (InvalidOperation, ValueError) as exc:
        raise MoneyError("金额必须是数字。") from exc
    if not amount.is_finite():
        raise MoneyError("金额必须是数字。")
    if amount < 0:
        raise MoneyError("金额不能为负数。")
    if amount.as_tuple().exponent < -2 and amount != amount.quantize(CENT):
        raise MoneyError("金额最多保留两位小数（精确到分）。")
    if amount > MAX_AMOUNT:
        raise MoneyError("金额超出允许范围。")
    return amount.quantize(CENT)


def quantize(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def format_yuan(amount: Decimal) -> str:
    """¥200,000.00"""
    return f"¥{quantize(amount):,.2f}"


def format_wan(amount: Decimal) -> str:
    """Prose: 20万元, 18.5万元; amounts under 1万 or not exact in 万 to two places: 5,000元."""
    amount = quantize(amount)
    wan = amount / Decimal(10000)
    if amount >= 10000 and wan == wan.quantize(CENT):
        text = f"{wan.quantize(CENT):f}".rstrip("0").rstrip(".")
        return f"{text}万元"
    text = f"{amount:,.2f}"
    return f"{text[:-3] if text.endswith('.00') else text}元"


_UP_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_UP_UNITS = ("", "拾", "佰", "仟", "万", "拾", "佰", "仟", "亿", "拾", "佰", "仟")
_ZERO_AFTER_WAN = re.compile(r"([万亿])零([壹贰叁肆伍陆柒捌玖]仟)")


@lru_cache(maxsize=4096)
def _yuan_in_capitals(yuan: int) -> str:
    """Whole yuan in capitals exactly as cn2an's "rmb" mode writes them (its integer rules,
    without its input clean-up, which cost most of a 10,000-line payment list)."""
    digits = str(yuan)
    top = len(digits) - 1
    text = ""
    for i, digit in enumerate(digits):
        place = top - i
        if digit != "0":
            text += _UP_DIGITS[int(digit)] + _UP_UNITS[place]
            continue
        if not place % 4:
            text += "零" + _UP_UNITS[place]
        if i > 0 and text[-1] != "零":
            text += "零"
    text = (
        text.replace("零零", "零")
        .replace("零万", "万")
        .replace("零亿", "亿")
        .replace("亿万", "亿")
        .strip("零")
    )
    return _ZERO_AFTER_WAN.sub(r"\1\2", text) or "零"


def amount_in_capitals(amount: Decimal) -> str:
    """人民币贰拾万元整 (大写金额, as printed on letters and payment lists).

    The wording follows cn2an's "rmb" mode (《支付结算办法》: 整 after 元, none after 角/分):
    tests/test_money_labels.py checks the two agree."""
    amount = quantize(amount)
    if amount == 0:
        return "人民币零元整"
    if amount < 0 or amount > MAX_AMOUNT:
        return "人民币" + cn2an.an2cn(f"{amount:.2f}", "rmb")
    cents = int(amount * 100)
    yuan, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    whole = "" if yuan == 0 else _yuan_in_capitals(yuan) + "元"
    if jiao:
        return f"人民币{whole}{_UP_DIGITS[jiao]}角" + (f"{_UP_DIGITS[fen]}分" if fen else "")
    if fen:
        return f"人民币{whole}零{_UP_DIGITS[fen]}分" if whole else f"人民币{_UP_DIGITS[fen]}分"
    return f"人民币{whole}整"
