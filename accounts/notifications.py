"""Notify users: stored at once (in-portal), emailed through the outbox.

The notification rows and the outbox row of their email are written in the caller's
transaction, so a rolled-back decision notifies nobody and a committed one is emailed
even if the broker is away at that moment (the sweeper delivers it later).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from outbox.services import outbox_enqueue

from .models import Notification, User

EMAIL_KIND = "notification_email"


@dataclass(frozen=True)
class Message:
    users: Sequence[User]
    subject: str
    body: str
    link: str = ""


def notify(*, users: Iterable[User], subject: str, body: str, link: str = "") -> list[Notification]:
    return notify_many([Message(list(users), subject, body, link)])


def notify_many(messages: Iterable[Message]) -> list[Notification]:
    """Store many notifications in one insert and email them from one outbox row."""
    rows = [
        Notification(user=user, subject=m.subject, body=m.body, link=m.link)
        for m in messages
        for user in m.users
    ]
    created = Notification.objects.bulk_create(rows, batch_size=2000)
    ids = [n.pk for n in created]
    if ids:
        outbox_enqueue(kind=EMAIL_KIND, payload={"notification_ids": ids})
    return created
