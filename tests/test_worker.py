"""Side effects delivered by a real Celery worker process, through Redis and the outbox."""

import time

import pytest

from accounts.models import Notification

pytestmark = pytest.mark.worker


def _wait_for(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_notification_email_is_delivered_by_a_real_worker(celery_worker_process, demo):
    from django.core import mail

    from accounts.notifications import notify
    from outbox.models import OutboxMessage
    from outbox.services import outbox_run

    notify(users=[demo["qindu_corp"]], subject="申报状态变更", body="您的申报已提交。")
    notification = Notification.objects.get()
    assert _wait_for(lambda: OutboxMessage.objects.filter(state="done").exists())
    notification.refresh_from_db()
    assert notification.emailed_at is not None
    # Idempotent: delivering the same row again sends nothing.
    message = OutboxMessage.objects.get()
    assert outbox_run(message_id=message.pk) == "skipped"
    assert message.attempts == 1 and len(mail.outbox) == 0  # sent by the worker, not here


def test_notify_queues_only_after_commit(demo, django_capture_on_commit_callbacks):
    from accounts.notifications import notify
    from outbox.models import OutboxMessage

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(users=[demo["qindu_corp"]], subject="s", body="b")
    assert len(callbacks) == 1
    assert Notification.objects.get().emailed_at is None
    assert OutboxMessage.objects.get().state == OutboxMessage.State.PENDING
