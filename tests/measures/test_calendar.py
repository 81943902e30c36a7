"""The working-day calendar as data: a year entered by the administrator, and the warning."""

from datetime import date

import pytest

from core.errors import DomainError
from measures.calendar import calendar_warning
from measures.models import HolidaySchedule, OfficialDay
from reviews.calendar import working_period

# A 2027 schedule as the State Council might publish it (typed by hand for this test).
SCHEDULE_2027 = """\
# 国务院办公厅关于2027年部分节假日安排的通知
2027-01-01~2027-01-03 休 元旦
2027-02-06~2027-02-12 休 春节
2027-02-14 班 春节调休
2027-02-20 班 春节调休
"""


def _enter_2027(client, demo):
    client.force_login(demo["policy_admin"])
    return client.post(
        "/admin/measures/holidayschedule/add/",
        {"year": "2027", "notice": "国办发明电〔2026〕1号", "published_on": "2026-11-20",
         "days_text": SCHEDULE_2027},
    )  # fmt: skip


def test_a_year_the_library_does_not_know_is_refused_until_entered(demo, client):
    with pytest.raises(DomainError) as info:
        working_period(date(2027, 2, 1), 12)
    assert info.value.code == "calendar_unavailable" and "节假日安排" in info.value.message

    response = _enter_2027(client, demo)
    assert response.status_code == 302, response.content.decode()[:2000]
    schedule = HolidaySchedule.objects.get(year=2027)
    assert schedule.days.filter(kind=OfficialDay.Kind.HOLIDAY).count() == 10
    assert schedule.days.filter(kind=OfficialDay.Kind.WORKDAY).count() == 2

    # Feb 1–5 (5), Feb 6–12 off, Sat 13 off, Sun 14 调休 (6), Feb 15–19 (11), Sat 20 调休 (12).
    assert working_period(date(2027, 2, 1), 12) == (date(2027, 2, 1), date(2027, 2, 20))
    # A notice across the new year: Dec 28–31 2026 (library: 4), Jan 1–3 off, Jan 4–8 (9),
    # Jan 11 (10).
    assert working_period(date(2026, 12, 28), 10) == (date(2026, 12, 28), date(2027, 1, 11))


def test_bad_schedule_lines_name_their_line(demo, client):
    client.force_login(demo["policy_admin"])
    response = client.post(
        "/admin/measures/holidayschedule/add/",
        {"year": "2027", "days_text": "2027-01-01 休 元旦\n2027-13-01 休 坏日期"},
    )
    assert response.status_code == 200
    assert "第2行" in response.content.decode()
    assert not HolidaySchedule.objects.exists()


def test_warning_60_days_before_the_known_calendar_ends(demo, client):
    # chinese-calendar 1.11 knows holidays up to 2026-12-31.
    assert calendar_warning(today=date(2026, 10, 31)) == ""
    warning = calendar_warning(today=date(2026, 11, 1))
    assert "2026-12-31" in warning and "2027" in warning
    client.force_login(demo["policy_admin"])
    _enter_2027(client, demo)
    assert calendar_warning(today=date(2026, 11, 1)) == ""
    assert "2027-12-31" in calendar_warning(today=date(2027, 11, 15))


def test_the_operations_page_shows_the_warning(demo, client, settings):
    client.force_login(demo["policy_admin"])
    page = client.get("/operations/").content.decode()
    from django.utils import timezone

    expected = calendar_warning(today=timezone.localdate())
    assert (expected != "") == ('data-testid="calendar-warning"' in page)
    client.force_login(demo["qindu_corp"])
    assert client.get("/operations/").status_code == 403
