"""消息中心: a status change gives an unread message with a link; reminders fire on the
calendar (drafts before the round closes, 补正 deadlines, overdue) and only once."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.models import Notification
from applications.lifecycle.engine import TransitionRequest, application_transition
from applications.lifecycle.transitions import Action
from applications.models import Application, Status
from core.errors import DomainError
from reviews.effects import correction_deadline
from reviews.reminders import reminders_send

TZ = ZoneInfo("Asia/Shanghai")


def _return(case, actor, **kwargs):
    return application_transition(
        actor=actor,
        application_id=case.pk,
        request=TransitionRequest(
            Action.RETURN,
            comment="请补充材料",
            corrections={"CERTIFICATE": "请上传清晰的认定文件扫描件"},
            **kwargs,
        ),
    )


def test_status_change_gives_unread_message_with_link(
    client, case_factory, demo, django_capture_on_commit_callbacks
):
    case = case_factory(Status.COUNTY_REVIEW)
    with django_capture_on_commit_callbacks(execute=True):
        _return(case, demo["county_qindu"], correction_due_on=date.today() + timedelta(days=9))
    client.force_login(demo["qindu_corp"])
    home = client.get("/accounts/home/").content.decode()
    assert 'data-testid="unread-badge"' in home and 'data-testid="home-messages"' in home
    page = client.get("/accounts/messages/").content.decode()
    note = Notification.objects.get(user=demo["qindu_corp"], subject__contains="退回补正")
    assert "退回补正" in note.subject and note.read_at is None
    assert "认定文件" in note.body and "CERTIFICATE" not in note.body  # a label, not the code
    assert f"/applications/{case.reference}/" == note.link
    assert 'data-testid="unread-mark"' in page
    unread = Notification.objects.filter(user=demo["qindu_corp"], read_at__isnull=True).count()
    assert f'data-testid="unread-badge">{unread}<' in page
    opened = client.post(f"/accounts/messages/{note.pk}/open/")
    assert opened.status_code == 302 and opened["Location"] == note.link
    note.refresh_from_db()
    assert note.read_at is not None
    page = client.get("/accounts/messages/").content.decode()
    badge = (
        f'data-testid="unread-badge">{unread - 1}<' if unread > 1 else 'data-testid="unread-badge"'
    )
    assert (badge in page) == (unread > 1)
    client.post("/accounts/messages/read-all/")
    assert 'data-testid="unread-badge"' not in client.get("/accounts/messages/").content.decode()


def test_nobody_opens_another_users_message(client, case_factory, demo):
    note = Notification.objects.create(user=demo["qindu_corp"], subject="x", body="y")
    client.force_login(demo["weicheng_corp"])
    assert client.post(f"/accounts/messages/{note.pk}/open/").status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_external_links_are_not_followed(client, demo):
    note = Notification.objects.create(
        user=demo["qindu_corp"], subject="x", body="y", link="https://evil.example/"
    )
    client.force_login(demo["qindu_corp"])
    response = client.post(f"/accounts/messages/{note.pk}/open/")
    assert response["Location"] == "/accounts/messages/"


def test_default_correction_deadline_is_ten_working_days(case_factory, demo):
    case = case_factory(Status.COUNTY_REVIEW)
    # Returned on Tue 2026-09-29: the 2026 National Day holiday (10-01..10-07) is skipped and
    # Saturday 10-10 is a workday. Working days from 09-30: 09-30, 10-08, 10-09, 10-10,
    # 10-12, 10-13, 10-14, 10-15, 10-16, 10-19 → the 10th is Monday 2026-10-19.
    assert correction_deadline(None, today=date(2026, 9, 29)) == date(2026, 10, 19)
    returned = _return(case, demo["county_qindu"])
    assert returned.correction_due_on is not None
    assert returned.correction_due_on > timezone.localdate()


@pytest.mark.parametrize("days", [0, -3, 61])
def test_past_or_far_deadline_is_refused_next_to_the_field(client, case_factory, demo, days):
    case = case_factory(Status.COUNTY_REVIEW)
    client.force_login(demo["county_qindu"])
    due = timezone.localdate() + timedelta(days=days)
    response = client.post(
        f"/reviews/cases/{case.reference}/act/",
        {
            "action": "return",
            "revision": case.revision,
            "comment": "请补充",
            "correction_due_on": due.isoformat(),
        },
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert 'data-testid="due-error"' in body
    assert ("不能早于明天" if days <= 0 else "不能超过60天") in body
    case.refresh_from_db()
    assert case.status == Status.COUNTY_REVIEW
    with pytest.raises(DomainError):
        _return(case, demo["county_qindu"], correction_due_on=due)


def _returned_case(case_factory, due: date) -> Application:
    case = case_factory(Status.RETURNED)
    Application.objects.filter(pk=case.pk).update(correction_due_on=due)
    return case


def _subjects(user) -> list[str]:
    return list(Notification.objects.filter(user=user).values_list("subject", flat=True))


def test_correction_reminders_follow_the_calendar(case_factory, demo):
    due = date(2026, 10, 19)  # Monday
    case = _returned_case(case_factory, due)
    user = demo["qindu_corp"]

    def at(day: date) -> int:
        return reminders_send(now=datetime(day.year, day.month, day.day, 9, tzinfo=TZ))

    # Thu 10-14: working days left 10-15, 10-16, 10-19 = 3 > 2 → nothing yet.
    assert at(date(2026, 10, 14)) == 0
    # Thu 10-15: 10-16 and 10-19 left = 2 → the "due soon" reminder, once.
    assert at(date(2026, 10, 15)) == 1
    assert at(date(2026, 10, 16)) == 0
    assert any("将于 2026-10-19 到期" in s for s in _subjects(user))
    # On the day itself it is not overdue; the day after it is, once.
    assert at(date(2026, 10, 19)) == 0
    assert at(date(2026, 10, 20)) == 1
    assert at(date(2026, 10, 21)) == 0
    assert any("已逾期" in s for s in _subjects(user))
    assert all(case.reference in s for s in _subjects(user))


def test_queue_marks_overdue_corrections(client, case_factory, demo):
    late = _returned_case(case_factory, timezone.localdate() - timedelta(days=1))
    _returned_case(case_factory, timezone.localdate() + timedelta(days=5))
    client.force_login(demo["county_qindu"])
    body = client.get("/reviews/", {"status": "returned"}).content.decode()
    assert body.count('data-testid="overdue"') == 1
    assert late.reference in body


def test_draft_reminder_before_the_round_closes(application_factory, demo, settings):
    settings.DRAFT_REMINDER_DAYS = 3
    draft = application_factory()
    closes = draft.round.closes_at
    assert reminders_send(now=closes - timedelta(days=3, hours=1)) == 0
    assert reminders_send(now=closes - timedelta(days=2)) == 1
    assert reminders_send(now=closes - timedelta(days=1)) == 0  # once only
    assert reminders_send(now=closes + timedelta(hours=1)) == 0  # closed: no point
    note = Notification.objects.get(user=demo["qindu_corp"], key__startswith="draft-closing:")
    assert draft.reference in note.subject and note.link.endswith("/edit/")


def test_marking_all_read_counts_in_english_grammar(client, demo):
    Notification.objects.filter(user=demo["weicheng_corp"]).delete()
    Notification.objects.create(user=demo["weicheng_corp"], subject="x", body="y")
    client.force_login(demo["weicheng_corp"])
    page = client.post(
        "/accounts/messages/read-all/", follow=True, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Marked 1 message as read." in page


def test_english_pages_put_an_english_colon_after_their_labels(client, demo):
    import re

    client.force_login(demo["qindu_corp"])
    for url in ("/accounts/home/", "/accounts/organisation/"):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "(USCC): " in page, url
        assert not re.search(r"[A-Za-z)]：", page), url  # "USCC：" read as a typo
