from __future__ import annotations

from celery import shared_task

# Webhooks are delivered by the outbox relay (its sweeper retries them): the consumer of
# kind "webhook" registers here, where the outbox discovers consumers.
from .webhooks import webhook_deliver  # noqa: F401


@shared_task(ignore_result=True, soft_time_limit=600, time_limit=660)
def push_opened_rounds() -> int:
    """Beat: 精准推送 for rounds that have opened since the last run (once per round)."""
    from .push import rounds_open_push

    return rounds_open_push()
