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

WIDTH = 720
LABEL_WIDTH = 200
VALUE_WIDTH = 110
BAR_HEIGHT = 12
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
    """Horizontal grouped bars: one group per category, one bar per series."""
    if not categories:
        return SafeString("")
    peak = max((v for row in values for v in row), default=Decimal(0)) or Decimal(1)
    group_height = BAR_HEIGHT * len(series) + GAP
    legend_height = 22
    height = legend_height + group_height * len(categories) + 4
    bar_area = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    parts = []
    for index, item in enumerate(series):
        x = LABEL_WIDTH + index * 150
        parts.append(
            format_html(
                '<rect x="{}" y="4" width="12" height="12" fill="{}"></rect>'
                '<text x="{}" y="15" font-size="12">{}</text>',
                x,
                COLOURS.get(item.colour, "#666"),
                x + 16,
                item.name,
            )
        )
    for row_index, (category, row) in enumerate(zip(categories, values, strict=True)):
        top = legend_height + row_index * group_height
        label = category if len(category) <= 16 else category[:15] + "…"
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="12" text-anchor="end"><title>{}</title>{}</text>',
                LABEL_WIDTH - 6,
                top + BAR_HEIGHT * len(series) / 2 + 4,
                category,
                label,
            )
        )
        for index, (item, value) in enumerate(zip(series, row, strict=True)):
            y = top + index * BAR_HEIGHT
            width = float(value / peak) * bar_area if value > 0 else 0
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}">'
                    "<title>{}：{}</title></rect>"
                    '<text x="{}" y="{}" font-size="11">{}</text>',
                    LABEL_WIDTH,
                    y,
                    f"{width:.1f}",
                    BAR_HEIGHT - 2,
                    COLOURS.get(item.colour, "#666"),
                    item.name,
                    wan(value),
                    f"{LABEL_WIDTH + width + 4:.1f}",
                    y + BAR_HEIGHT - 3,
                    wan(value),
                )
            )
    body = format_html_join("", "{}", ((part,) for part in parts))
    return format_html(
        '<svg class="portal-chart" id="{}" role="img" aria-labelledby="{}-title" '
        'viewBox="0 0 {} {}" width="100%" preserveAspectRatio="xMinYMin meet" '
        'xmlns="http://www.w3.org/2000/svg"><title id="{}-title">{}</title>{}</svg>',
        chart_id,
        chart_id,
        WIDTH,
        height,
        chart_id,
        title,
        body,
    )
