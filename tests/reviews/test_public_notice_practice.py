"""Public notice as practised: issuer and contact shown, valid objection contacts only, a
receipt number shown and emailed, and a public status look-up by receipt number."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from unittest import mock

import pytest

from applications.models import Status
from core.errors import DomainError
from reviews import notices


@pytest.fixture
def noticed(case_factory, demo):
    case = case_factory(Status.PENDING_NOTICE, approved=Decimal("150000.00"))
    notice = notices.notice_start(
        actor=demo["approver"], application_ids=[case.pk], working_days=5, today=date(2026, 9, 29)
    )
    return notice, case


@pytest.mark.parametrize(
    "contact", ["abc", "139", "12345678901", "029-123", "wang@", "@example.com", "1390000000a"]
)
def test_invalid_contacts_are_refused_next_to_the_field(noticed, contact):
    notice, _case = noticed
    with pytest.raises(DomainError) as info:
        notices.objection_lodge(
            entry_id=notice.entries.first().pk,
            name="王某",
            contact=contact,
            content="该企业认定时间早于政策期",
            today=date(2026, 9, 30),
        )
    assert "contact" in info.value.detail
    assert "手机号" in info.value.detail["contact"][0]


@pytest.mark.parametrize(
    "contact", ["13900000000", "+86 139 0000 0000", "029-33219876", "02933219876", "a.b@example.cn"]
)
def test_valid_contacts_are_accepted(noticed, contact):
    notice, _case = noticed
    objection = notices.objection_lodge(
        entry_id=notice.entries.first().pk,
        name="王某",
        contact=contact,
        content="该企业认定时间早于政策期",
        today=date(2026, 9, 30),
    )
    assert objection.receipt_no.startswith("YY-20260930-")
    assert len(objection.receipt_no) == len("YY-20260930-") + 6


def test_page_shows_issuer_period_and_refuses_abc_beside_the_field(noticed, client, settings):
    notice, case = noticed
    settings.NOTICE_CONTACT_PHONE = "029-33990000"
    with mock.patch("django.utils.timezone.localdate", return_value=date(2026, 9, 30)):
        page = client.get(f"/notices/{notice.pk}/").content.decode()
        assert "咸阳市工业和信息化局" in page and "029-33990000" in page
        assert "2026年9月29日 — 2026年10月10日" in page
        bad = client.post(
            f"/notices/{notice.pk}/",
            {
                "entry": notice.entries.first().pk,
                "name": "王某",
                "contact": "abc",
                "content": "该企业认定时间早于政策期",
            },
        )
    body = bad.content.decode()
    assert bad.status_code == 200
    assert 'id="id_contact-error"' in body and "请填写有效的手机号" in body
    assert 'value="王某"' in body  # nothing typed is lost
    case.refresh_from_db()
    assert case.status == Status.PUBLIC_NOTICE


def test_receipt_shown_emailed_and_looked_up(
    noticed, client, mailoutbox, demo, django_capture_on_commit_callbacks
):
    notice, _case = noticed
    with (
        mock.patch("django.utils.timezone.localdate", return_value=date(2026, 9, 30)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(
            f"/notices/{notice.pk}/",
            {
                "entry": notice.entries.first().pk,
                "name": "王某",
                "contact": "wang@example.com",
                "content": "该企业认定时间早于政策期",
            },
            follow=True,
        )
    objection = notice.entries.first().objections.get()
    body = response.content.decode()
    assert objection.receipt_no in body and "核实中" in body
    assert "wang@example.com" not in body  # the look-up never shows the contact
    to_objector = [m for m in mailoutbox if m.to == ["wang@example.com"]]
    assert len(to_objector) == 1 and objection.receipt_no in to_objector[0].subject
    notices.objection_resolve(
        actor=demo["approver"], objection_id=objection.pk, upheld=False, resolution="经核实不成立"
    )
    client.logout()
    found = client.get("/notices/objections/lookup/", {"receipt": objection.receipt_no.lower()})
    assert found.status_code == 200 and "异议不成立" in found.content.decode()
    missing = client.get("/notices/objections/lookup/", {"receipt": "YY-20260930-AAAAAA"})
    assert missing.status_code == 404 and "未找到该回执号" in missing.content.decode()


def test_notice_length_comes_from_the_round(case_factory, demo):
    case = case_factory(Status.PENDING_NOTICE, approved=Decimal("1000.00"))
    case.round.notice_working_days = 7
    case.round.save()
    notice = notices.notice_start(
        actor=demo["approver"], application_ids=[case.pk], today=date(2026, 9, 29)
    )
    # The 2026 State Council schedule: 10-01..10-07 off, Saturday 10-10 a workday. Seven
    # working days from Tue 09-29: 09-29, 09-30, 10-08, 10-09, 10-10, 10-12, 10-13.
    assert (notice.working_days, notice.ends_on) == (7, date(2026, 10, 13))


def test_demo_round_notice_ends_at_the_next_periodic_run(case_factory, demo):
    case = case_factory(Status.PENDING_NOTICE, approved=Decimal("1000.00"))
    case.round.notice_working_days = 0
    case.round.save()
    today = date(2026, 9, 29)
    notice = notices.notice_start(actor=demo["approver"], application_ids=[case.pk], today=today)
    assert (notice.starts_on, notice.ends_on) == (today, today)
    assert notices.notices_finish_due(today=today) == [case.pk]
    case.refresh_from_db()
    assert case.status == Status.APPROVED


def test_approver_cannot_choose_zero_days(case_factory, demo):
    case = case_factory(Status.PENDING_NOTICE, approved=Decimal("1000.00"))
    with pytest.raises(DomainError) as info:
        notices.notice_start(actor=demo["approver"], application_ids=[case.pk], working_days=0)
    assert "working_days" in info.value.detail


def test_receipt_email_is_an_outbox_row_of_the_objection_and_is_sent_once(
    noticed, mailoutbox, django_capture_on_commit_callbacks
):
    from django.db import transaction

    from outbox.models import OutboxMessage
    from outbox.services import outbox_deliver_pending, outbox_run
    from reviews.models import Objection

    notice, _case = noticed
    entry = notice.entries.first()
    lodge = {
        "entry_id": entry.pk,
        "name": "王某",
        "contact": "wang@example.com",
        "content": "该企业认定时间早于政策期",
        "today": date(2026, 9, 30),
    }
    # A rolled-back objection leaves no outbox row and sends nothing.
    with pytest.raises(RuntimeError), transaction.atomic():
        notices.objection_lodge(**lodge)
        raise RuntimeError("the request failed after the objection")
    assert not Objection.objects.exists()
    assert not OutboxMessage.objects.filter(kind="objection_receipt_email").exists()
    # Committed: the row is written with the objection, and nothing is mailed before commit.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        objection = notices.objection_lodge(**lodge)
        row = OutboxMessage.objects.get(kind="objection_receipt_email")
        assert row.payload == {"objection_id": objection.pk}
        assert mailoutbox == []
    for callback in callbacks:  # the fast path on commit publishes it (eager worker here)
        callback()
    to_objector = [m for m in mailoutbox if m.to == ["wang@example.com"]]
    assert len(to_objector) == 1 and objection.receipt_no in to_objector[0].subject
    row.refresh_from_db()
    assert row.state == OutboxMessage.State.DONE
    # Delivered again (a redelivered task, the sweeper, the command): still one email.
    OutboxMessage.objects.filter(pk=row.pk).update(state=OutboxMessage.State.PENDING)
    assert outbox_run(message_id=row.pk) == "done"
    outbox_deliver_pending(ignore_backoff=True)
    assert len([m for m in mailoutbox if m.to == ["wang@example.com"]]) == 1


def test_a_phone_contact_gets_no_receipt_email_row(noticed):
    from outbox.models import OutboxMessage

    notice, _case = noticed
    notices.objection_lodge(
        entry_id=notice.entries.first().pk,
        name="王某",
        contact="13900000000",
        content="该企业认定时间早于政策期",
        today=date(2026, 9, 30),
    )
    assert not OutboxMessage.objects.filter(kind="objection_receipt_email").exists()
