from __future__ import annotations

from celery import shared_task

from .webhooks import deliveries_due, delivery_attempt


@shared_task(ignore_result=True, acks_late=True, soft_time_limit=120, time_limit=150)
def webhooks_deliver(delivery_ids: list[int]) -> None:
    for delivery_id in delivery_ids:
        delivery_attempt(delivery_id)


@shared_task(ignore_result=True, soft_time_limit=300, time_limit=330)
def webhooks_deliver_due() -> int:
    """Beat: whatever is due (retries after backoff, and rows whose publish found no broker)."""
    ids = deliveries_due()
    for delivery_id in ids:
        delivery_attempt(delivery_id)
    return len(ids)
