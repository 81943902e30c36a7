"""Notify users: stored at once, emailed by a Celery task queued only if the transaction commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction

from .models import Notification, User


@dataclass(frozen=True)
class Message:
    users: Sequence[User]
    subject: str
    body: str
    link: str = ""
    key: str = ""  # a reminder's identity: sent once per user (see notify_many)


def notify(*, users: Iterable[User], subject: str, body: str, link: str = "") -> list[Notification]:
    return notify_many([Message(list(users), subject, body, link)])


def notify_many(messages: Iterable[Message]) -> list[Notification]:
    """Store many notifications in one insert and email them from one task (payment results).

    A message with a `key` is skipped for users who already have a notification with that
    key, so periodic reminders are idempotent.
    """
    from .tasks import notification_email_many

    messages = list(messages)
    keys = {m.key for m in messages if m.key}
    sent = (
        set(Notification.objects.filter(key__in=keys).values_list("user_id", "key"))
        if keys
        else set()
    )
    rows = [
        Notification(user=user, subject=m.subject, body=m.body, link=m.link, key=m.key)
        for m in messages
        for user in m.users
        if not m.key or (user.pk, m.key) not in sent
    ]
    created = Notification.objects.bulk_create(rows, batch_size=2000)
    ids = [n.pk for n in created]
    if ids:
        transaction.on_commit(lambda: notification_email_many.delay(ids))
    return created
