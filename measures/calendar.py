"""The official working-day calendar: chinese-calendar's data, plus years entered as data.

For a year with a `HolidaySchedule` row, that schedule decides (its holidays are days off,
its 调休 days are workdays, every other weekday is a workday); otherwise chinese-calendar
does. A year neither knows is refused with a clear message, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import chinese_calendar
from chinese_calendar import constants as library_data
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError

WARN_DAYS_BEFORE_END = 60


def library_last_year() -> int:
    return max(day.year for day in library_data.holidays)


ENTERED_YEARS_KEY = "holiday-schedule-years"


def entered_years() -> frozenset[int]:
    """Years the policy administrator entered, cached (cleared when a schedule is imported)."""
    from django.core.cache import cache

    from .models import HolidaySchedule

    years = cache.get(ENTERED_YEARS_KEY)
    if years is None:
        years = frozenset(HolidaySchedule.objects.values_list("year", flat=True))
        cache.set(ENTERED_YEARS_KEY, years, 3600)
    return years


@dataclass
class WorkingCalendar:
    """Reads each year's schedule once (a notice period asks about many days)."""

    _years: dict[int, dict[date, bool] | None] = field(default_factory=dict)

    def _schedule(self, year: int) -> dict[date, bool] | None:
        if year not in self._years:
            from .models import OfficialDay

            if year not in entered_years():
                self._years[year] = None  # the library's data (no query on every page)
            else:
                days = OfficialDay.objects.filter(schedule__year=year).values_list("day", "kind")
                self._years[year] = {day: kind == OfficialDay.Kind.WORKDAY for day, kind in days}
        return self._years[year]

    def is_working_day(self, day: date) -> bool:
        schedule = self._schedule(day.year)
        if schedule is not None:
            return schedule.get(day, day.weekday() < 5)
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError as exc:  # neither source knows that year
            raise DomainError(
                _(
                    "工作日历尚未包含 %(year)d 年的节假日安排，请政策管理员在“规则配置 › 节假日安排”中录入国务院办公厅通知后再试。"
                )
                % {"year": day.year},
                code="calendar_unavailable",
            ) from exc


def calendar_known_until() -> date:
    """The last day whose working status is known (library or entered schedules)."""
    from .models import HolidaySchedule

    last = library_last_year()
    entered = HolidaySchedule.objects.filter(days__isnull=False).order_by("-year").first()
    if entered is not None:
        last = max(last, entered.year)
    return date(last, 12, 31)


def calendar_warning(*, today: date | None = None) -> str:
    """A message for the policy administrator from 60 days before the known calendar ends."""
    today = today or timezone.localdate()
    until = calendar_known_until()
    if until - today > timedelta(days=WARN_DAYS_BEFORE_END):
        return ""
    return _(
        "工作日历只到 %(until)s。请在“规则配置 › 节假日安排”中录入 %(year)d 年的法定节假日和调休安排，否则之后的公示期无法计算。"
    ) % {"until": until.isoformat(), "year": until.year + 1}
