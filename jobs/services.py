"""Progress reporting for jobs: written in short transactions so pages can poll them."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Job


def job_create(*, kind: str, requested_by, params: dict, total: int = 0) -> Job:
    return Job.objects.create(kind=kind, requested_by=requested_by, params=params, total=total)


def job_progress(job_id: int, *, done: int, total: int | None = None, message: str = "") -> None:
    fields = {"done": done, "state": Job.State.RUNNING}
    if total is not None:
        fields["total"] = total
    if message:
        fields["message"] = message[:300]
    with transaction.atomic():
        Job.objects.filter(pk=job_id).update(**fields)


def job_finish(
    job_id: int, *, message: str = "", failed: bool = False, outcome: dict | None = None
) -> None:
    """End the job; `outcome` is kept in its params (what the result page shows)."""
    fields = {
        "state": Job.State.FAILED if failed else Job.State.DONE,
        "message": message[:300],
        "finished_at": timezone.now(),
    }
    if outcome is not None:
        with transaction.atomic():
            job = Job.objects.select_for_update().get(pk=job_id)
            fields["params"] = {**job.params, **outcome}
            Job.objects.filter(pk=job_id).update(**fields)
        return
    Job.objects.filter(pk=job_id).update(**fields)


def job_delivery_failed(payload: dict, attempts: int, final: bool) -> None:
    """An outbox consumer that works for a job failed (`outbox_handler(on_failure=…)`): the
    job's page says it is being retried, and once the retries are spent, that it failed,
    instead of showing "running" for ever."""
    job_id = payload.get("job_id")
    if not job_id:
        return
    live = Job.objects.filter(pk=job_id, state__in=[Job.State.QUEUED, Job.State.RUNNING])
    if final:
        if live.exists():
            job_finish(
                job_id,
                failed=True,
                message=_("处理失败：系统多次自动重试仍未成功，请重新提交，或联系系统运维人员。"),
            )
        return
    live.update(
        message=_("处理时出错，系统将自动重试（已尝试 %(attempts)d 次）。") % {"attempts": attempts}
    )
