"""Letters are made by Celery workers; approvals queue them through the outbox, in batches."""

from __future__ import annotations

from collections.abc import Sequence

from celery import shared_task
from django.conf import settings

from jobs.services import job_delivery_failed
from outbox.registry import outbox_handler, outbox_healer
from outbox.services import outbox_enqueue

LETTERS_KIND = "letters"
LETTERS_ZIP_KIND = "letters_zip"


def queue_letters(application_ids: Sequence[int]) -> None:
    """Record the letters to make in the caller's transaction (made once it commits)."""
    ids = sorted(set(application_ids))
    if ids:
        outbox_enqueue(kind=LETTERS_KIND, payload={"application_ids": ids})


def queue_letters_zip(*, job_id: int, letter_ids: Sequence[int]) -> None:
    outbox_enqueue(
        kind=LETTERS_ZIP_KIND,
        payload={"job_id": job_id, "letter_ids": list(letter_ids)},
        dedup_key=f"{LETTERS_ZIP_KIND}:{job_id}",
    )


@outbox_handler(LETTERS_KIND)
def letters_make(payload: dict) -> None:
    """Hand the letters to the letters queue, one task per chunk, so its workers share them.

    A publish that fails raises, and the outbox retries the row; a chunk whose worker dies
    is redelivered (acks_late); anything still missing is re-queued by the letters healer.
    """
    ids = payload["application_ids"]
    chunk = settings.LETTER_CHUNK
    for start in range(0, len(ids), chunk):
        letters_generate.delay(ids[start : start + chunk])


@shared_task(
    bind=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    soft_time_limit=540,
    time_limit=600,
)
def letters_generate(self, application_ids: list[int]) -> list[str]:
    """Issue the letters of one chunk (one WeasyPrint document); idempotent.

    A retry after a crash reuses the numbers already reserved. Applications still without a
    letter after the retries are listed on the staff letters page ("待出具") and re-queued by
    the healer.
    """
    from .services import letters_issue

    ids = list(application_ids)
    chunk = settings.LETTER_CHUNK
    if len(ids) > chunk:  # called directly with a large batch: fan out as the outbox does
        for start in range(0, len(ids), chunk):
            letters_generate.delay(ids[start : start + chunk])
        return []
    return [letter.number for letter in letters_issue(application_ids=ids)]


@outbox_healer
def letters_heal() -> int:
    """Approved applications without a current letter and no letter row waiting: queue them.

    The key carries the application's revision: one healing attempt per state, so a letter
    that keeps failing shows on the operations page instead of being queued forever.
    """
    from django.db import transaction

    from applications.lifecycle.statuses import AWARDED_STATUSES
    from applications.models import Application
    from outbox.models import OutboxMessage

    missing = list(
        Application.objects.filter(status__in=AWARDED_STATUSES, approved_amount__isnull=False)
        .exclude(letters__state="current")
        .values_list("pk", "revision")[:1000]
    )
    if not missing:
        return 0
    waiting = set()
    for payload in OutboxMessage.objects.filter(
        kind=LETTERS_KIND, state=OutboxMessage.State.PENDING
    ).values_list("payload", flat=True):
        waiting.update(payload.get("application_ids", []))
    queued = 0
    with transaction.atomic():
        for pk, revision in missing:
            if pk in waiting:
                continue
            if outbox_enqueue(
                kind=LETTERS_KIND,
                payload={"application_ids": [pk]},
                dedup_key=f"letters-heal:{pk}:{revision}",
            ):
                queued += 1
    return queued


@outbox_handler(LETTERS_ZIP_KIND, on_failure=job_delivery_failed)
def letters_zip_make(payload: dict) -> str:
    """Build a ZIP of letters for a staff member, reporting progress on the job."""
    import io
    import zipfile

    from django.core.files.base import ContentFile

    from jobs.models import Job
    from jobs.services import job_finish, job_progress

    from ..models import Letter

    job_id = payload["job_id"]
    job = Job.objects.get(pk=job_id)
    if job.state == Job.State.DONE and job.result:
        return job.result.name
    letters = list(Letter.objects.filter(pk__in=payload["letter_ids"]).order_by("year", "sequence"))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for index, letter in enumerate(letters, start=1):
            with letter.pdf.open("rb") as handle:
                archive.writestr(f"{letter.number}-{letter.organisation_name}.pdf", handle.read())
            if index % 10 == 0 or index == len(letters):
                job_progress(
                    job_id, done=index, total=len(letters), message=f"{index}/{len(letters)}"
                )
    job.result.save(f"letters-{job_id}.zip", ContentFile(buffer.getvalue()), save=False)
    job.result_name = f"核定通知书-{len(letters)}份.zip"
    job.save(update_fields=["result", "result_name"])
    job_finish(job_id, message=f"已打包 {len(letters)} 份通知书")
    return job.result.name
