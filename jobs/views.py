from __future__ import annotations

from django.http import Http404, HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404, render

from audit.downloads import private_file_response

from .models import Job


def _own_job(request: HttpRequest, job_id: int) -> Job:
    # A job's result belongs to whoever asked for it; the data was scoped when it was built.
    return get_object_or_404(Job, pk=job_id, requested_by=request.user)


def job_status(request: HttpRequest, job_id: int):
    job = _own_job(request, job_id)
    if (
        request.headers.get("Accept", "").startswith("application/json")
        or request.GET.get("format") == "json"
    ):
        return JsonResponse(
            {"state": job.state, "done": job.done, "total": job.total, "percent": job.percent,
             "message": job.message, "ready": bool(job.result)}
        )  # fmt: skip
    return render(request, "jobs/status.html", {"job": job})


def job_download(request: HttpRequest, job_id: int):
    job = _own_job(request, job_id)
    if not job.result:
        raise Http404
    return private_file_response(
        job.result, request=request, obj=job, filename=job.result_name or job.result.name
    )
