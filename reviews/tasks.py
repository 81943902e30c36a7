from __future__ import annotations

from celery import shared_task

# Autodiscovery imports <app>.tasks only: register the letter consumers with the outbox too.
from .letters.tasks import letters_heal, letters_make, letters_zip_make
from .notices import notices_finish_due

__all__ = ["finish_due_notices", "letters_heal", "letters_make", "letters_zip_make"]


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True, time_limit=600)
def finish_due_notices() -> list[int]:
    """Beat task: approve the applications whose public notice has ended without objection.

    Idempotent: an application already approved is no longer in public notice.
    """
    return notices_finish_due()
