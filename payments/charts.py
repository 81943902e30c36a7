"""Server-rendered SVG bar charts for the dashboards (no JavaScript, no CDN).

Each chart sits next to a table with the same numbers, which is what screen readers use;
the SVG carries a title and is marked as an image.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

BAR_AREA_PERCENT = 78  # the rest of the width holds the value label
BAR_HEIGHT = 14
GAP = 10


@dataclass(frozen=True)
class Series:
    name: str
    colour: str  # a key of COLOURS


COLOURS = {"primary": "#8b1a1a", "secondary": "#d9822b", "tertiary": "#4a7c59"}


def wan(amount: Decimal) -> str:
    """¥ in 万元 with one decimal: compact labels for bars (the table has exact figures)."""
    return f"{amount / Decimal(10000):,.1f}万"


def bar_chart(
    *,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    values: Sequence[Sequence[Decimal]],
    chart_id: str,
) -> SafeString:
    """Horizontal grouped bars: one group per category (its label on a line above), one bar
    per series.

    Horizontal positions are percentages and there is no viewBox, so the chart takes the
    width of its container while its text stays at 12 px on a phone as on a desktop.
    """
    if not categories:
        return SafeString("")
    peak = max((v for row in values for v in row), default=Decimal(0)) or Decimal(1)
    label_height = 16
    group_height = label_height + BAR_HEIGHT * len(series) + GAP
    legend_height = 22
    height = legend_height + group_height * len(categories) + 4
    parts = []
    for index, item in enumerate(series):
        x = index * 34
        parts.append(
            format_html(
                '<rect x="{}%" y="4" width="12" height="12" fill="{}"></rect>'
                '<text x="{}%" y="15" dx="16" font-size="12">{}</text>',
                x,
                COLOURS.get(item.colour, "#666"),
                x,
                item.name,
            )
        )
    for row_index, (category, row) in enumerate(zip(categories, values, strict=True)):
        top = legend_height + row_index * group_height
        label = category if len(category) <= 24 else category[:23] + "…"
        parts.append(
            format_html(
                '<text x="0" y="{}" font-size="12"><title>{}</title>{}</text>',
                top + 12,
                category,
                label,
            )
        )
        for index, (item, value) in enumerate(zip(series, row, strict=True)):
            y = top + label_height + index * BAR_HEIGHT
            width = float(value / peak) * BAR_AREA_PERCENT if value > 0 else 0
            parts.append(
                format_html(
                    '<rect x="0" y="{}" width="{}%" height="{}" fill="{}">'
                    "<title>{}：{}</title></rect>"
                    '<text x="{}%" y="{}" dx="4" font-size="12">{}</text>',
                    y,
                    f"{width:.2f}",
                    BAR_HEIGHT - 1,
                    COLOURS.get(item.colour, "#666"),
                    item.name,
                    wan(value),
                    f"{width:.2f}",
                    y + BAR_HEIGHT - 2,
                    wan(value),
                )
            )
    body = format_html_join("", "{}", ((part,) for part in parts))
    return format_html(
        '<svg class="portal-chart" id="{}" role="img" aria-labelledby="{}-title" '
        'width="100%" height="{}" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{}-title">{}</title>{}</svg>',
        chart_id,
        chart_id,
        height,
        chart_id,
        title,
        body,
    )
