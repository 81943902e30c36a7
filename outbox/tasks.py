"""The relay's Celery side: one task delivers one row; beat sweeps what is pending."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

# Consumers are idempotent and the row is claimed with a lease: a redelivered message
# (worker killed, visibility timeout) is harmless, so acknowledge late.
AT_LEAST_ONCE = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "ignore_result": True,
}


@shared_task(
    **AT_LEAST_ONCE,
    soft_time_limit=getattr(settings, "OUTBOX_TASK_SOFT_TIME_LIMIT", 540),
    time_limit=getattr(settings, "OUTBOX_TASK_TIME_LIMIT", 600),
)
def outbox_deliver(message_id: int) -> str:
    from .services import outbox_run

    return outbox_run(message_id=message_id)


@shared_task(**AT_LEAST_ONCE, soft_time_limit=110, time_limit=120)
def outbox_sweep() -> int:
    from .services import outbox_sweep as sweep

    return sweep()


@shared_task(**AT_LEAST_ONCE, soft_time_limit=540, time_limit=600)
def files_sweep() -> int:
    """Beat: remove stored files that no row refers to (older than a day)."""
    from core.files import files_sweep as sweep

    return len(sweep())
