from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from outbox.registry import outbox_handler
from outbox.tasks import AT_LEAST_ONCE

from .models import Notification
from .notifications import EMAIL_KIND


def _deliver(notification_id: int) -> str:
    """Email one notification; idempotent: a notification already emailed is skipped."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update().select_related("user").get(pk=notification_id)
        )
        if notification.emailed_at is not None:
            return "already-sent"
        if not notification.user.email:
            return "no-address"
        link = f"\n\n{settings.SITE_URL}{notification.link}" if notification.link else ""
        send_mail(
            subject=f"[咸阳惠企平台] {notification.subject}",
            message=notification.body + link,
            from_email=None,
            recipient_list=[notification.user.email],
        )
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
    return "sent"


@outbox_handler(EMAIL_KIND)
def notification_emails_deliver(payload: dict) -> dict[str, int]:
    """The outbox consumer: email each notification once (those already sent are skipped)."""
    outcome: dict[str, int] = {}
    for notification_id in payload["notification_ids"]:
        result = _deliver(notification_id)
        outcome[result] = outcome.get(result, 0) + 1
    return outcome


@shared_task(
    bind=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    **AT_LEAST_ONCE,
    soft_time_limit=50,
    time_limit=60,
)
def notification_email(self, notification_id: int) -> str:
    return _deliver(notification_id)


@shared_task(
    bind=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    **AT_LEAST_ONCE,
    soft_time_limit=540,
    time_limit=600,
)
def notification_email_many(self, notification_ids: list[int]) -> dict[str, int]:
    """Email many notifications; a retry skips those already sent."""
    return notification_emails_deliver({"notification_ids": notification_ids})
