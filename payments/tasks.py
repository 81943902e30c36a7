"""Celery tasks of payments: they take ids and call the services; running twice is harmless."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError, transaction
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerError

logger = logging.getLogger(__name__)


def queue_batch_build(batch_id: int, job_id: int) -> None:
    """Queue the build once the batch row is committed (a rolled-back request queues nothing)."""

    def send() -> None:
        try:
            payment_batch_fill.delay(batch_id, job_id)
        except BrokerError:
            logger.exception("Could not queue the build of payment batch %s", batch_id)
            from jobs.services import job_finish

            job_finish(
                job_id,
                failed=True,
                message=_("任务队列暂不可用，请稍后在批次页面点击“继续生成”。"),
            )

    transaction.on_commit(send)


@shared_task(
    bind=True,
    autoretry_for=(OSError, OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=3,
    soft_time_limit=540,
    time_limit=600,
)
def payment_batch_fill(self, batch_id: int, job_id: int | None = None) -> int:
    """Fill a batch in the building state; returns the number of lines added by this run."""
    from jobs.services import job_finish
    from xianyang_portal.errors import DomainError

    from .services import payment_batch_fill as fill

    try:
        return fill(batch_id=batch_id, job_id=job_id)
    except DomainError as exc:
        # A refusal (e.g. the officer lost the finance role): say so on the progress page.
        if job_id:
            job_finish(job_id, failed=True, message=exc.message)
        return 0
