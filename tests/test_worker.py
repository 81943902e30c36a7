"""A task executed by a real Celery worker process, through Redis."""

import pytest

from accounts.models import Notification

pytestmark = pytest.mark.worker


def test_notification_email_task_runs_in_real_worker(celery_worker_process, demo):
    from accounts.tasks import notification_email

    notification = Notification.objects.create(
        user=demo["qindu_corp"], subject="申报状态变更", body="您的申报已提交。"
    )
    result = notification_email.delay(notification.pk)
    assert result.get(timeout=30) == "sent"
    notification.refresh_from_db()
    assert notification.emailed_at is not None
    # Idempotent: the second run does not send again.
    assert notification_email.delay(notification.pk).get(timeout=30) == "already-sent"


def test_notify_queues_only_after_commit(demo, django_capture_on_commit_callbacks):
    from accounts.notifications import notify

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(users=[demo["qindu_corp"]], subject="s", body="b")
    assert len(callbacks) == 1
    assert Notification.objects.get().emailed_at is None
