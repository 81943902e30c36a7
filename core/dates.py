"""Dates as people read them on notices."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone


def deadline_text(value: datetime | None) -> str:
    """A closing moment in Asia/Shanghai time, "Y-m-d H:i".

    A deadline at midnight is written as 24:00 of the day before, as Chinese notices do:
    "2027-03-31 00:00" reads as if the 31st were still open, while it is already closed."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    if (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0):
        return f"{local - timedelta(days=1):%Y-%m-%d} 24:00"
    return f"{local:%Y-%m-%d %H:%M}"
