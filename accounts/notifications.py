"""Notify users: stored at once, emailed by a Celery task queued only if the transaction commits."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from .models import Notification, User


def notify(*, users: Iterable[User], subject: str, body: str, link: str = "") -> list[Notification]:
    from .tasks import notification_email

    created = [
        Notification.objects.create(user=user, subject=subject, body=body, link=link)
        for user in users
    ]
    for notification in created:
        transaction.on_commit(lambda pk=notification.pk: notification_email.delay(pk))
    return created
