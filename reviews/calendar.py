"""Working days in the Chinese official calendar (holidays and adjusted 调休 workdays)."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils.translation import gettext as _

from core.errors import DomainError
from measures.calendar import WorkingCalendar


def is_working_day(day: date) -> bool:
    return WorkingCalendar().is_working_day(day)


def next_working_day(day: date, calendar: WorkingCalendar | None = None) -> date:
    calendar = calendar or WorkingCalendar()
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return day


def working_period(start: date, working_days: int) -> tuple[date, date]:
    """First and last day of a period of N working days that begins on or after `start`."""
    if working_days < 1:
        raise DomainError(_("公示期至少为1个工作日。"), code="invalid_period")
    calendar = WorkingCalendar()
    first = next_working_day(start, calendar)
    day, counted = first, 1
    while counted < working_days:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            counted += 1
    return first, day
