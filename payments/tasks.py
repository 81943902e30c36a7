"""Payments' outbox consumers: they take ids and call the services; running twice is harmless."""

from __future__ import annotations

import logging

from jobs.services import job_delivery_failed
from outbox.registry import outbox_handler, outbox_healer
from outbox.services import outbox_enqueue

from .services import BUILD_KIND, IMPORT_KIND

logger = logging.getLogger(__name__)


@outbox_handler(BUILD_KIND, on_failure=job_delivery_failed)
def payment_batch_fill(payload: dict) -> int:
    """Fill a batch in the building state; returns the number of lines added by this run."""
    from core.errors import DomainError
    from jobs.services import job_finish

    from .services import payment_batch_fill as fill

    job_id = payload.get("job_id")
    try:
        return fill(batch_id=payload["batch_id"], job_id=job_id)
    except DomainError as exc:
        # A refusal (e.g. the officer lost the finance role): say so on the progress page.
        if job_id:
            job_finish(job_id, failed=True, message=exc.message)
        return 0


@outbox_healer
def batch_builds_heal() -> int:
    """A build that stalled (its worker died, its row failed) resumes by itself."""
    from django.db import transaction

    from outbox.models import OutboxMessage

    from .models import BatchState, PaymentBatch
    from .services import build_stalled

    queued = 0
    for batch in PaymentBatch.objects.filter(state=BatchState.BUILDING).select_related("job"):
        if not build_stalled(batch) or batch.job_id is None:
            continue
        with transaction.atomic():
            # The same job continues; a row already waiting for it is not doubled.
            if OutboxMessage.objects.filter(
                kind=BUILD_KIND,
                state=OutboxMessage.State.PENDING,
                payload__batch_id=batch.pk,
            ).exists():
                continue
            outbox_enqueue(
                kind=BUILD_KIND,
                payload={"batch_id": batch.pk, "job_id": batch.job_id},
                dedup_key=f"{BUILD_KIND}-heal:{batch.pk}:{batch.lines.count()}",
            )
            queued += 1
            logger.info("Resuming the stalled build of payment batch %s", batch.reference)
    return queued


@outbox_handler(IMPORT_KIND, on_failure=job_delivery_failed)
def payment_results_import(payload: dict) -> str:
    from .services import payment_results_import_run

    return payment_results_import_run(job_id=payload["job_id"])
