from __future__ import annotations

from celery import shared_task
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from xianyang_portal.site import site_url

from .models import Notification


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
        link = f"\n\n{site_url()}{notification.link}" if notification.link else ""
        send_mail(
            subject=f"[咸阳惠企平台] {notification.subject}",
            message=notification.body + link,
            from_email=None,
            recipient_list=[notification.user.email],
        )
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
    return "sent"


@shared_task(bind=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notification_email(self, notification_id: int) -> str:
    return _deliver(notification_id)


@shared_task(bind=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notification_email_many(self, notification_ids: list[int]) -> dict[str, int]:
    """Email many notifications; a retry skips those already sent."""
    outcome: dict[str, int] = {}
    for notification_id in notification_ids:
        result = _deliver(notification_id)
        outcome[result] = outcome.get(result, 0) + 1
    return outcome
