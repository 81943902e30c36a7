"""Notify users: stored at once (in-portal), emailed through the outbox.

The notification rows and the outbox row of their email are written in the caller's
transaction, so a rolled-back decision notifies nobody and a committed one is emailed
even if the broker is away at that moment (the sweeper delivers it later).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from core.bulk import copy_insert
from outbox.services import outbox_enqueue

from .models import Notification, User

EMAIL_KIND = "notification_email"
ADDRESS_NOTICE_KIND = "address_notice_email"  # accounts.models.AddressNotice


@dataclass(frozen=True)
class Message:
    users: Sequence[User | int]  # users, or their ids (imports of thousands of rows)
    subject: str
    body: str
    link: str = ""
    key: str = ""  # a reminder's identity: sent once per user (see notify_many)


def notify(*, users: Iterable[User], subject: str, body: str, link: str = "") -> list[int]:
    return notify_many([Message(list(users), subject, body, link)])


def notify_many(messages: Iterable[Message]) -> list[int]:
    """Store many notifications in one insert (COPY) and email them from one outbox row.

    Returns the ids of the notifications written.

    A message with a `key` is skipped for users who already have a notification with that
    key, so periodic reminders are idempotent.
    """
    messages = list(messages)
    keys = {m.key for m in messages if m.key}
    sent = (
        set(Notification.objects.filter(key__any=list(keys)).values_list("user_id", "key"))
        if keys
        else set()
    )
    rows = [
        {"user_id": user_id, "subject": m.subject, "body": m.body, "link": m.link, "key": m.key}
        for m in messages
        for user_id in (getattr(u, "pk", u) for u in m.users)
        if not m.key or (user_id, m.key) not in sent
    ]
    ids = copy_insert(Notification, rows)
    if ids:
        outbox_enqueue(kind=EMAIL_KIND, payload={"notification_ids": ids})
    return ids
