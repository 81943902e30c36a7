"""Letters are made by Celery workers; approvals queue them on commit, in batches."""

from __future__ import annotations

from collections.abc import Sequence

from celery import shared_task
from django.conf import settings
from django.db import transaction


def queue_letters(application_ids: Sequence[int]) -> None:
    ids = list(application_ids)
    transaction.on_commit(lambda: letters_generate.delay(ids))


@shared_task(bind=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def letters_generate(self, application_ids: list[int]) -> list[str]:
    """Issue the letters; a retry after a crash reuses the numbers already reserved (idempotent).

    More than ``LETTER_CHUNK`` applications are split into one task per chunk, so that every
    process of the letters worker takes a share (and returns []); a chunk renders as one
    WeasyPrint document. Applications still without a letter after the retries are listed
    on the staff letters page ("待出具"), where an approver can queue them again.
    """
    from .services import letters_issue

    ids = list(application_ids)
    chunk = settings.LETTER_CHUNK
    if len(ids) > chunk:
        for start in range(0, len(ids), chunk):
            letters_generate.delay(ids[start : start + chunk])
        return []
    return [letter.number for letter in letters_issue(application_ids=ids)]


@shared_task(bind=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def letters_zip(self, job_id: int, letter_ids: list[int]) -> str:
    """Build a ZIP of letters for a staff member, reporting progress on the job."""
    import io
    import zipfile

    from django.core.files.base import ContentFile

    from jobs.models import Job
    from jobs.services import job_finish, job_progress

    from ..models import Letter

    letters = list(Letter.objects.filter(pk__in=letter_ids).order_by("year", "sequence"))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for index, letter in enumerate(letters, start=1):
            with letter.pdf.open("rb") as handle:
                archive.writestr(f"{letter.number}-{letter.organisation_name}.pdf", handle.read())
            if index % 10 == 0 or index == len(letters):
                job_progress(
                    job_id, done=index, total=len(letters), message=f"{index}/{len(letters)}"
                )
    job = Job.objects.get(pk=job_id)
    job.result.save(f"letters-{job_id}.zip", ContentFile(buffer.getvalue()), save=False)
    job.result_name = f"核定通知书-{len(letters)}份.zip"
    job.save(update_fields=["result", "result_name"])
    job_finish(job_id, message=f"已打包 {len(letters)} 份通知书")
    return job.result.name
