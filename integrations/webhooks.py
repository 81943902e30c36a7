"""Status-change webhooks: rows written with the decision, delivered signed, retried with backoff."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from applications.lifecycle.effects import observe_moves
from applications.lifecycle.statuses import status_label

from .keys import signature
from .models import Scope, WebhookDelivery, WebhookSubscription

logger = logging.getLogger(__name__)
EVENT = "application.status_changed"
MAX_ATTEMPTS = 8
TIMEOUT_S = 5


@observe_moves
def webhooks_enqueue(contexts) -> None:
    """In the deciding transaction: one delivery row per subscriber and move (idempotent key)."""
    subscriptions = [
        s
        for s in WebhookSubscription.objects.filter(active=True, account__revoked_at__isnull=True)
        .select_related("account")
        .only("pk", "account__scopes")
        if Scope.READ_STATUSES in s.account.scopes
    ]
    if not subscriptions:
        return
    now = timezone.now()
    rows = []
    for ctx in contexts:
        application = ctx.application
        payload = {
            "event": EVENT,
            "reference": application.reference,
            "uscc": application.organisation.uscc,
            "clause": application.clause.code,
            "from": ctx.source,
            "to": ctx.target,
            "to_label": status_label(ctx.target),
            "revision": application.revision,
            "occurred_at": now.isoformat(),
        }
        for subscription in subscriptions:
            key = f"{application.pk}-r{application.revision}-s{subscription.pk}"
            rows.append(
                WebhookDelivery(
                    subscription=subscription,
                    idempotency_key=key,
                    event=EVENT,
                    payload=payload,
                    next_attempt_at=now,
                )
            )
    ids = [d.pk for d in WebhookDelivery.objects.bulk_create(rows, batch_size=2000)]
    transaction.on_commit(lambda: _publish(ids))


def _publish(ids: list[int]) -> None:
    from .tasks import webhooks_deliver

    try:
        webhooks_deliver.delay(ids)
    except Exception:  # broker away: the rows wait for the periodic sweep
        logger.warning("webhook publish deferred to the sweeper (%d deliveries)", len(ids))


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 6 * 3600))


def delivery_attempt(delivery_id: int) -> str:
    """Try one delivery now; returns its state. Safe to run twice (skips delivered rows)."""
    from .services import webhook_url_check

    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .select_related("subscription")
            .filter(pk=delivery_id, state=WebhookDelivery.State.PENDING)
            .first()
        )
        if delivery is None:
            return "skipped"
        subscription = delivery.subscription
        body = json.dumps(delivery.payload, ensure_ascii=False, sort_keys=True).encode()
        timestamp = str(int(timezone.now().timestamp()))
        delivery.attempts += 1
        try:
            webhook_url_check(subscription.url)  # again now: DNS may have changed
            request = urllib.request.Request(  # noqa: S310 - https checked above
                subscription.url,
                data=body,
                method="POST",
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "Idempotency-Key": delivery.idempotency_key,
                    "X-Portal-Event": delivery.event,
                    "X-Portal-Timestamp": timestamp,
                    "X-Portal-Signature": "sha256="
                    + signature(subscription.secret, body, timestamp),
                },
            )
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310
                delivery.response_status = response.status
            delivery.state = WebhookDelivery.State.DELIVERED
            delivery.delivered_at = timezone.now()
            delivery.last_error = ""
        except Exception as exc:  # any failure is retried; the error is kept for the log
            status = getattr(exc, "code", None)
            delivery.response_status = status if isinstance(status, int) else None
            delivery.last_error = f"{type(exc).__name__}: {exc}"[:300]
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.state = WebhookDelivery.State.FAILED
            else:
                delivery.next_attempt_at = timezone.now() + backoff(delivery.attempts)
        delivery.save()
        return delivery.state


def deliveries_due(limit: int = 500) -> list[int]:
    return list(
        WebhookDelivery.objects.filter(
            state=WebhookDelivery.State.PENDING, next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
