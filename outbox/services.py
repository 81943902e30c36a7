"""Write side effects as rows in the decision's transaction; deliver them at least once.

- `outbox_enqueue` inside the caller's transaction: a rolled-back decision leaves no row.
- On commit the fast path publishes the row to Celery with short timeouts and no retry; a
  broker outage only logs: the row waits for the sweeper (beat) or `manage.py outbox_deliver`.
- `outbox_run` claims the row with a lease, runs the idempotent consumer, records the
  attempt and the last error, and backs off; a killed worker's lease expires and the row
  is published again.
"""

from __future__ import annotations

import logging
import ssl
import urllib.error
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict

from .models import OutboxMessage
from .registry import HEALERS, discover, handler_for

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
DELIVER_TASK = "outbox.tasks.outbox_deliver"


def _lease() -> timedelta:
    return timedelta(seconds=getattr(settings, "OUTBOX_LEASE_SECONDS", 900))


def _publish_grace() -> timedelta:
    # After a publish the sweeper leaves the row alone this long (the worker has it queued).
    return timedelta(seconds=getattr(settings, "OUTBOX_PUBLISH_GRACE_SECONDS", 120))


def outbox_enqueue(
    *, kind: str, payload: dict[str, Any], dedup_key: str | None = None
) -> OutboxMessage | None:
    """Record one effect in the current transaction; publish it once that commits.

    With a `dedup_key` already recorded, nothing new is written and None is returned.
    """
    fields = {"kind": kind, "payload": payload, "available_at": timezone.now()}
    if dedup_key is None:
        message = OutboxMessage.objects.create(**fields)
    else:
        try:
            with transaction.atomic():
                message = OutboxMessage.objects.create(dedup_key=dedup_key[:200], **fields)
        except IntegrityError:
            return None
    transaction.on_commit(lambda: outbox_publish(message_ids=[message.pk]))
    return message


def outbox_enqueue_many(*, kind: str, items: Iterable[tuple[dict[str, Any], str]]) -> list[int]:
    """Record many effects of one kind in one insert (each with its dedup key); publish on commit.

    Keys already recorded are skipped; returns the ids of the rows written now.
    """
    items = [(payload, key[:200]) for payload, key in items]
    if not items:
        return []
    now = timezone.now()
    keys = [key for _payload, key in items]
    before = set(OutboxMessage.objects.filter(dedup_key__in=keys).values_list("pk", flat=True))
    OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(kind=kind, payload=payload, dedup_key=key, available_at=now)
            for payload, key in items
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )
    ids = [
        pk
        for pk in OutboxMessage.objects.filter(dedup_key__in=keys)
        .order_by("pk")
        .values_list("pk", flat=True)
        if pk not in before
    ]
    transaction.on_commit(lambda: outbox_publish(message_ids=ids))
    return ids


def outbox_publish(*, message_ids: Iterable[int]) -> int:
    """Hand rows to the broker; stops at the first broker error (the rows keep waiting)."""
    # By its registered name: the task module imports this one, never the other way round.
    discover()  # every app's tasks module, outbox.tasks among them, is imported once
    outbox_deliver = current_app.tasks[DELIVER_TASK]
    published: list[int] = []
    for message_id in message_ids:
        try:
            outbox_deliver.apply_async((message_id,), retry=False)
        except Exception as exc:  # broker down or slow: the sweeper publishes it later
            logger.warning("Outbox: broker unavailable, %s stays pending (%s)", message_id, exc)
            break
        published.append(message_id)
    if published and not settings.CELERY_TASK_ALWAYS_EAGER:
        OutboxMessage.objects.filter(pk__in=published, state=OutboxMessage.State.PENDING).update(
            available_at=timezone.now() + _publish_grace()
        )
    return len(published)


def _claim(message_id: int) -> OutboxMessage | None:
    now = timezone.now()
    claimed = (
        OutboxMessage.objects.filter(pk=message_id, state=OutboxMessage.State.PENDING)
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
        .update(leased_until=now + _lease(), attempts=F("attempts") + 1)
    )
    return OutboxMessage.objects.get(pk=message_id) if claimed else None


def outbox_run(*, message_id: int) -> str:
    """Deliver one row now (worker or command); a row already done or held is skipped."""
    message = _claim(message_id)
    if message is None:
        return "skipped"
    handler = handler_for(message.kind)
    try:
        handler.run(message.payload)
    except Exception as exc:
        failed = message.attempts >= MAX_ATTEMPTS
        backoff = timedelta(seconds=min(30 * 2 ** (message.attempts - 1), 3600))
        OutboxMessage.objects.filter(pk=message_id).update(
            state=OutboxMessage.State.FAILED if failed else OutboxMessage.State.PENDING,
            last_error=failure_text(exc)[:2000],
            leased_until=None,
            available_at=timezone.now() + backoff,
        )
        logger.exception(
            "Outbox: %s #%s failed (attempt %s)", message.kind, message_id, message.attempts
        )
        _tell_failure(handler, message, final=failed)
        return "failed"
    OutboxMessage.objects.filter(pk=message_id).update(
        state=OutboxMessage.State.DONE, delivered_at=timezone.now(), leased_until=None
    )
    return "done"


def failure_text(exc: BaseException) -> str:
    """A row's last error as operators and service accounts read it: the reason in words
    first, then the exception for whoever debugs it. An exception may carry its own `message`
    (a DomainError, a webhook receiver's refusal)."""
    cause = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    own = getattr(exc, "message", None)
    if isinstance(own, str) and own:
        reason = own
    elif isinstance(cause, TimeoutError):
        reason = _("连接超时，对方未在规定时间内响应")
    elif isinstance(cause, ssl.SSLError):
        reason = _("TLS 连接失败（证书无效或与主机名不符）")
    elif isinstance(cause, ConnectionRefusedError):
        reason = _("对方拒绝连接")
    elif isinstance(cause, OSError):
        reason = _("网络连接失败")
    else:
        reason = _("处理失败")
    return f"{reason}（{exc.__class__.__name__}: {exc}）"


def _tell_failure(handler, message: OutboxMessage, *, final: bool) -> None:
    if handler.on_failure is None:
        return
    try:
        handler.on_failure(message.payload, message.attempts, final)
    except Exception:  # the row's own state is already recorded; never lose that to this
        logger.exception("Outbox: failure hook of %s #%s failed", message.kind, message.pk)


def _due(limit: int) -> list[int]:
    now = timezone.now()
    return list(
        OutboxMessage.objects.filter(state=OutboxMessage.State.PENDING, available_at__lte=now)
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
        .order_by("available_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def outbox_heal() -> int:
    """Let every app enqueue what should exist but does not (missing letters, stalled builds)."""
    discover()
    healed = 0
    for healer in list(HEALERS):
        try:
            healed += healer()
        except Exception:
            logger.exception("Outbox: healer %s failed", getattr(healer, "__name__", healer))
    return healed


def outbox_sweep(*, limit: int = 500) -> int:
    """Beat: heal, then publish the pending rows that are due; returns how many were published."""
    outbox_heal()
    return outbox_publish(message_ids=_due(limit))


def outbox_deliver_pending(*, limit: int = 10_000, ignore_backoff: bool = False) -> dict[str, int]:
    """Deliver in this process, without the broker (`manage.py outbox_deliver`)."""
    outbox_heal()
    if ignore_backoff:
        OutboxMessage.objects.filter(state=OutboxMessage.State.PENDING).update(
            available_at=timezone.now()
        )
    outcome: dict[str, int] = {}
    for message_id in _due(limit):
        result = outbox_run(message_id=message_id)
        outcome[result] = outcome.get(result, 0) + 1
    return outcome


def outbox_retry(*, actor, message_id: int) -> OutboxMessage:
    """Operations page: give a failed (or waiting) row a fresh set of attempts now."""
    from audit.services import audit_record

    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().get(pk=message_id)
        if message.state == OutboxMessage.State.DONE:
            # Answering "queued" for a row already delivered read as if it had been re-sent.
            raise Conflict(_("该消息已投递成功，无需重试。"), code="already_done")
        message.state = OutboxMessage.State.PENDING
        message.attempts = 0
        message.available_at = timezone.now()
        message.leased_until = None
        message.save(update_fields=["state", "attempts", "available_at", "leased_until"])
        audit_record(actor=actor, obj=message, action="outbox.retry", after={"kind": message.kind})
        transaction.on_commit(lambda: outbox_publish(message_ids=[message.pk]))
    return message
