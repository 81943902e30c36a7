"""Enter or import one year's official holiday schedule (the service behind the admin)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record
from core.errors import DomainError

from .models import HolidaySchedule, OfficialDay

KIND_WORDS = {
    "休": OfficialDay.Kind.HOLIDAY,
    "holiday": OfficialDay.Kind.HOLIDAY,
    "班": OfficialDay.Kind.WORKDAY,
    "workday": OfficialDay.Kind.WORKDAY,
}
LINE = re.compile(
    r"^(?P<start>\d{4}-\d{2}-\d{2})(?:\s*[~～至]\s*(?P<end>\d{4}-\d{2}-\d{2}))?\s+"
    r"(?P<kind>\S+)(?:\s+(?P<name>.+))?$"
)
FORMAT_HELP = "2027-02-06~2027-02-13 休 春节 / 2027-02-14 班 春节调休"


def _day(text: str, number: int) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise DomainError(
            _("第%(n)d行：日期“%(text)s”无效。") % {"n": number, "text": text},
            code="invalid_schedule",
        ) from exc


def parse_schedule(*, year: int, text: str) -> list[tuple[date, str, str]]:
    """Lines `日期[~日期] 休|班 名称`; every problem names its line."""
    days: dict[date, tuple[str, str]] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = LINE.match(line)
        kind = KIND_WORDS.get(match["kind"].lower()) if match else None
        if match is None or kind is None:
            raise DomainError(
                _("第%(n)d行：格式应为“%(example)s”。") % {"n": number, "example": FORMAT_HELP},
                code="invalid_schedule",
            )
        start = _day(match["start"], number)
        end = _day(match["end"], number) if match["end"] else start
        if end < start or (end - start).days > 31:
            raise DomainError(
                _("第%(n)d行：日期范围无效。") % {"n": number}, code="invalid_schedule"
            )
        day = start
        while day <= end:
            if day.year != year:
                raise DomainError(
                    _("第%(n)d行：%(day)s 不在 %(year)d 年内。")
                    % {"n": number, "day": day.isoformat(), "year": year},
                    code="invalid_schedule",
                )
            if day in days:
                raise DomainError(
                    _("第%(n)d行：%(day)s 重复。") % {"n": number, "day": day.isoformat()},
                    code="invalid_schedule",
                )
            days[day] = (kind, (match["name"] or "").strip()[:40])
            day += timedelta(days=1)
    if not any(kind == OfficialDay.Kind.HOLIDAY for kind, _name in days.values()):
        raise DomainError(_("节假日安排至少应包含一天法定节假日。"), code="invalid_schedule")
    return [(day, kind, name) for day, (kind, name) in sorted(days.items())]


@transaction.atomic
def holiday_schedule_import(
    *,
    actor: User | None,
    year: int,
    text: str,
    notice: str = "",
    published_on: date | None = None,
) -> HolidaySchedule:
    """Replace the year's schedule with the parsed lines (all or nothing)."""
    if not 2000 <= year <= 2100:
        raise DomainError(_("年度应在2000至2100之间。"), code="invalid_schedule")
    parsed = parse_schedule(year=year, text=text)
    schedule, _created = HolidaySchedule.objects.update_or_create(
        year=year,
        defaults={
            "notice": notice.strip()[:200],
            "published_on": published_on,
            "entered_by": actor,
        },
    )
    schedule.days.all().delete()
    OfficialDay.objects.bulk_create(
        OfficialDay(schedule=schedule, day=day, kind=kind, name=name) for day, kind, name in parsed
    )
    from django.core.cache import cache

    from .calendar import ENTERED_YEARS_KEY

    transaction.on_commit(lambda: cache.delete(ENTERED_YEARS_KEY))
    cache.delete(ENTERED_YEARS_KEY)
    audit_record(
        actor=actor,
        obj=schedule,
        action="calendar.schedule_imported",
        after={"year": year, "days": len(parsed)},
    )
    return schedule


def schedule_as_text(schedule: HolidaySchedule) -> str:
    words = {OfficialDay.Kind.HOLIDAY: "休", OfficialDay.Kind.WORKDAY: "班"}
    return "\n".join(
        f"{d.day.isoformat()} {words[d.kind]} {d.name}".rstrip() for d in schedule.days.all()
    )
