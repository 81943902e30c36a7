"""Closing moments read as notices write them: midnight is 24:00 of the day before."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template

from core.dates import deadline_text

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2027, 3, 31, 0, 0, tzinfo=SHANGHAI), "2027-03-30 24:00"),
        (datetime(2027, 1, 1, 0, 0, tzinfo=SHANGHAI), "2026-12-31 24:00"),
        (datetime(2027, 3, 31, 17, 30, tzinfo=SHANGHAI), "2027-03-31 17:30"),
        (datetime(2027, 3, 31, 0, 0, 1, tzinfo=SHANGHAI), "2027-03-31 00:00"),
        # 16:00 UTC is midnight in Shanghai: the local day decides.
        (datetime(2027, 3, 30, 16, 0, tzinfo=UTC), "2027-03-30 24:00"),
        (None, ""),
    ],
)
def test_deadline_text(moment, expected):
    assert deadline_text(moment) == expected


def test_the_template_filter_writes_the_same():
    template = Template("{% load portal %}截止 {{ closes|deadline }}")
    closes = datetime(2027, 3, 31, tzinfo=SHANGHAI)
    assert template.render(Context({"closes": closes})) == "截止 2027-03-30 24:00"
