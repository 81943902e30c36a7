from __future__ import annotations

from celery import shared_task

from outbox.registry import outbox_handler

# Autodiscovery imports <app>.tasks only: register the letter consumers with the outbox too.
from .letters.tasks import letters_generate, letters_heal, letters_make, letters_zip_make
from .notices import RECEIPT_EMAIL_KIND, notices_finish_due, objection_receipt_email_send
from .reminders import reminders_send

__all__ = [
    "finish_due_notices",
    "letters_generate",
    "letters_heal",
    "letters_make",
    "letters_zip_make",
    "objection_receipt_email",
    "send_reminders",
]


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True, time_limit=600)
def finish_due_notices() -> list[int]:
    """Beat task: approve the applications whose public notice has ended without objection.

    Idempotent: an application already approved is no longer in public notice.
    """
    return notices_finish_due()


@shared_task
def send_reminders() -> int:
    """Beat task: draft and 补正 reminders; each is sent once (keyed notifications)."""
    return reminders_send()


@outbox_handler(RECEIPT_EMAIL_KIND)
def objection_receipt_email(payload: dict) -> str:
    return objection_receipt_email_send(objection_id=payload["objection_id"])
