"""The broker goes away: users are told "done" quickly and nothing they were told is lost."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Notification
from applications.models import Application, DuplicateFlag, Status
from outbox.models import OutboxMessage
from reviews.models import Letter, Notice, NoticeEntry
from tests.conftest import worker_env, worker_start, worker_stop

pytestmark = [pytest.mark.slow, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

N = 4  # submissions, approvals and notice ends each


def _wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return False


def _emails_sent(folder) -> list[str]:
    """Subjects of every email the worker wrote (file backend: one file per connection)."""
    subjects = []
    for path in folder.glob("*.log"):
        subjects += [
            line for line in path.read_text(encoding="utf-8").splitlines()
            if line.startswith("Subject:")
        ]  # fmt: skip
    return subjects


def _ended_notice(case_factory, demo) -> list[Application]:
    notice = Notice.objects.create(
        title="t", starts_on=date(2026, 1, 5), ends_on=date(2026, 1, 9), working_days=5,
        created_by=demo["approver"],
    )  # fmt: skip
    cases = []
    for _ in range(N):
        case = case_factory(Status.PUBLIC_NOTICE, approved=Decimal("80000.00"))
        NoticeEntry.objects.create(
            notice=notice, application=case, organisation_name="x", measure_title="m",
            clause_title="c", amount=Decimal("80000.00"),
        )  # fmt: skip
        cases.append(case)
    return cases


def test_broker_outage_loses_nothing_and_delivers_once(
    private_redis, celery_queue, settings, tmp_path, application_factory, case_factory, demo, client
):
    from outbox.services import outbox_sweep
    from reviews.notices import notices_finish_due

    drafts = [
        application_factory(
            submit=False,
            username="weicheng_corp",
            clause_code="M04-SMART-FACTORY",
            facts={"level": "leading", "recognised_on": "2025-08-01", "certificate_no": f"草稿{i}"},
        )
        for i in range(N)
    ]
    to_approve = [case_factory(Status.APPROVAL, recommended=Decimal("50000.00")) for _ in range(N)]
    to_finish = _ended_notice(case_factory, demo)
    # Several cases of one organisation and clause: their possible-duplicate flags are checked.
    DuplicateFlag.objects.update(resolved_at=timezone.now(), resolution="已核实")
    Notification.objects.all().delete()
    OutboxMessage.objects.all().delete()

    private_redis.stop()  # the broker is down from here

    enterprise = client
    enterprise.force_login(demo["weicheng_corp"])
    for draft in drafts:
        started = time.monotonic()
        response = enterprise.post(
            f"/api/v1/applications/{draft.reference}/submit/",
            {"pledge_accepted": True, "pledge_name": "张三"},
            content_type="application/json",
        )
        assert response.status_code == 200, response.content
        assert time.monotonic() - started <= 2.0
    enterprise.logout()
    enterprise.force_login(demo["approver"])
    for case in to_approve:
        started = time.monotonic()
        response = enterprise.post(
            f"/api/v1/reviews/cases/{case.reference}/actions/",
            {"action": "approve", "amount": "50000.00", "comment": "同意"},
            content_type="application/json",
        )
        assert response.status_code == 200, response.content
        assert time.monotonic() - started <= 2.0
    assert sorted(notices_finish_due(today=date(2026, 1, 12))) == sorted(c.pk for c in to_finish)

    # Everything waits in the outbox; nothing was delivered.
    expected_notifications = 3 * N
    assert Notification.objects.count() == expected_notifications
    assert OutboxMessage.objects.filter(state="pending").count() == 3 * N + N  # emails + letters
    assert not Letter.objects.exists()

    private_redis.start()  # the broker is back, a worker runs
    mail = tmp_path / "mail"
    mail.mkdir()
    env = worker_env(
        settings,
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(mail),
    )
    worker = worker_start(env, celery_queue)
    try:

        def all_done() -> bool:
            outbox_sweep()  # what beat does every minute
            return not OutboxMessage.objects.exclude(state="done").exists()

        assert _wait_for(all_done, timeout=90), list(
            OutboxMessage.objects.exclude(state="done").values("kind", "attempts", "last_error")
        )
        outbox_sweep()  # a further sweep sends nothing again
        time.sleep(1)
    finally:
        worker_stop(worker)

    # Once the letters are made, each enterprise is also told its letter is ready (N more).
    expected_notifications += N
    assert Notification.objects.count() == expected_notifications
    assert len(_emails_sent(mail)) == expected_notifications  # each email exactly once
    assert Notification.objects.filter(emailed_at__isnull=False).count() == expected_notifications
    for case in to_finish:
        assert Letter.objects.filter(application=case).count() == 1
    assert Letter.objects.count() == N
    assert (
        Application.objects.filter(pk__in=[d.pk for d in drafts]).exclude(submitted_at=None).count()
        == N
    )
