"""Letters are made by Celery workers; approvals queue them on commit, in batches."""

from __future__ import annotations

from collections.abc import Sequence

from celery import shared_task
from django.db import transaction


def queue_letters(application_ids: Sequence[int]) -> None:
    ids = list(application_ids)
    transaction.on_commit(lambda: letters_generate.delay(ids))


@shared_task(bind=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def letters_generate(self, application_ids: list[int]) -> list[str]:
    from .services import letters_issue

    return [letter.number for letter in letters_issue(application_ids=application_ids)]
