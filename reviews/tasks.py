from __future__ import annotations

from celery import shared_task

from .notices import notices_finish_due


@shared_task
def finish_due_notices() -> list[int]:
    """Beat task: approve the applications whose public notice has ended without objection.

    Idempotent: an application already approved is no longer in public notice.
    """
    return notices_finish_due()
