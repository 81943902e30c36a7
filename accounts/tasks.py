from __future__ import annotations

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from core.site import site_url
from outbox.registry import outbox_handler

from .models import AddressNotice, Notification
from .notifications import ADDRESS_NOTICE_KIND, EMAIL_KIND


def _portal_mail(*, to: str, subject: str, body: str) -> None:
    """Every email of the portal's own: its subject marked with the portal's name."""
    send_mail(
        subject=f"[咸阳惠企平台] {subject}", message=body, from_email=None, recipient_list=[to]
    )


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
        _portal_mail(
            to=notification.user.email, subject=notification.subject, body=notification.body + link
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


@outbox_handler(ADDRESS_NOTICE_KIND)
def address_notice_deliver(payload: dict) -> str:
    """Email one AddressNotice once (a redelivered row sends nothing)."""
    with transaction.atomic():
        notice = AddressNotice.objects.select_for_update().get(pk=payload["notice_id"])
        if notice.sent_at is not None:
            return "already-sent"
        _portal_mail(to=notice.to, subject=notice.subject, body=notice.body)
        notice.sent_at = timezone.now()
        notice.save(update_fields=["sent_at"])
    return "sent"
