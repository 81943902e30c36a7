"""Template filters every page uses: one money format, and labels instead of codes.

{% load portal %}
{{ amount|money }}  -> ¥200,000.00 (tables, figures; "—" when there is none)
{{ amount|wan }}    -> 20万元 (prose)
{{ code|status_label }}, {{ code|action_label }}, {{ code|event_label }}
{{ round.closes_at|deadline }} -> 2027-03-30 24:00 (a closing moment; midnight as 24:00)
"""

from __future__ import annotations

from django import template

from applications import labels
from core.dates import deadline_text
from core.money import money_text, wan_text

register = template.Library()


@register.filter
def money(value) -> str:
    return money_text(value)


@register.filter
def wan(value) -> str:
    return wan_text(value)


@register.filter
def deadline(value) -> str:
    return deadline_text(value)


@register.filter
def status_label(code) -> str:
    return labels.status_label(code)


@register.filter
def action_label(code) -> str:
    return labels.action_label(code)


@register.filter
def event_label(code) -> str:
    return labels.event_label(code)
