"""Working days in the Chinese official calendar (holidays and adjusted 调休 workdays)."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
from django.utils.translation import gettext as _

from xianyang_portal.errors import DomainError


def is_working_day(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError as exc:  # the library has no schedule for that year yet
        raise DomainError(
            _("工作日历尚未包含 %(year)d 年的节假日安排，请升级 chinese-calendar 后再试。")
            % {"year": day.year},
            code="calendar_unavailable",
        ) from exc


def next_working_day(day: date) -> date:
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def working_period(start: date, working_days: int) -> tuple[date, date]:
    """First and last day of a period of N working days that begins on or after `start`."""
    if working_days < 1:
        raise DomainError(_("公示期至少为1个工作日。"), code="invalid_period")
    first = next_working_day(start)
    day, counted = first, 1
    while counted < working_days:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return first, day
