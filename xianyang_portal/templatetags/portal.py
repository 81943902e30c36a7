"""Template filters every page uses: one money format, and labels instead of codes.

{% load portal %}
{{ amount|money }}  -> ¥200,000.00 (tables, figures; "—" when there is none)
{{ amount|wan }}    -> 20万元 (prose)
{{ code|status_label }}, {{ code|action_label }}, {{ code|event_label }}
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

from xianyang_portal import labels
from xianyang_portal.money import format_wan, format_yuan

register = template.Library()


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


@register.filter
def money(value) -> str:
    amount = _decimal(value)
    return "—" if amount is None else format_yuan(amount)


@register.filter
def wan(value) -> str:
    amount = _decimal(value)
    return "—" if amount is None else format_wan(amount)


@register.filter
def status_label(code) -> str:
    return labels.status_label(code)


@register.filter
def action_label(code) -> str:
    return labels.action_label(code)


@register.filter
def event_label(code) -> str:
    return labels.event_label(code)
