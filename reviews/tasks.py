from __future__ import annotations

from celery import shared_task

# Autodiscovery imports <app>.tasks only: register the letter tasks with the worker too.
from .letters.tasks import letters_generate, letters_zip
from .notices import notices_finish_due

__all__ = ["finish_due_notices", "letters_generate", "letters_zip"]


@shared_task
def finish_due_notices() -> list[int]:
    """Beat task: approve the applications whose public notice has ended without objection.

    Idempotent: an application already approved is no longer in public notice.
    """
    return notices_finish_due()
