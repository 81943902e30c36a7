"""Money helpers: yuan as Decimal with two places, figures and Chinese capitals."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

import cn2an
from django.utils.translation import gettext as _

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999999.99")  # DecimalField(max_digits=14, decimal_places=2)
# Typed amounts: digits with an optional decimal part (thousands separators removed first).
# Decimal() alone also took "1_000" and "1e3", which no one types as a sum of money.
_TYPED_AMOUNT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


class MoneyError(ValueError):
    """A value that cannot be an amount of yuan; the message is for the user."""


def parse_money(value: object) -> Decimal:
    """Parse user input into yuan; refuse floats' noise, >2 decimals, negatives and absurd sizes."""
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        text = str(value)
    else:
        text = str(value).strip().replace(",", "").replace("，", "")
        if not _TYPED_AMOUNT.fullmatch(text):
            raise MoneyError(_("金额必须是数字。"))
    try:
        amount = Decimal(text)
    except (InvalidOperation, ValueError) as exc:
        raise MoneyError(_("金额必须是数字。")) from exc
    if not amount.is_finite():
        raise MoneyError(_("金额必须是数字。"))
    if amount.is_signed():  # "-0.00" too: a sign typed on a zero is a typing error
        raise MoneyError(_("金额不能为负数。"))
    if amount.as_tuple().exponent < -2 and amount != amount.quantize(CENT):
        raise MoneyError(_("金额最多保留两位小数（精确到分）。"))
    if amount > MAX_AMOUNT:
        raise MoneyError(_("金额超出允许范围。"))
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


def _decimal_or_none(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def money_text(value) -> str:
    """A figure for tables: ¥200,000.00, or "—" when there is none (the `money` filter)."""
    amount = _decimal_or_none(value)
    return "—" if amount is None else format_yuan(amount)


def wan_text(value) -> str:
    """A figure for prose: 20万元, or "—" when there is none (the `wan` filter)."""
    amount = _decimal_or_none(value)
    return "—" if amount is None else format_wan(amount)


def amount_in_capitals(amount: Decimal) -> str:
    """人民币贰拾万元整 (大写金额, as printed on letters and payment lists)."""
    return _capitals(f"{quantize(amount):.2f}")


@lru_cache(maxsize=4096)
def _capitals(text: str) -> str:
    """Remembered per amount: awards repeat (a 10,000-line payment list has few distinct
    amounts) and cn2an's input checks cost most of the list's export."""
    if Decimal(text) == 0:
        return "人民币零元整"
    # cn2an follows 《支付结算办法》: 整 after 元, none needed after 角/分.
    return "人民币" + cn2an.an2cn(text, "rmb")
