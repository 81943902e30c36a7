"""Background jobs (ZIP of letters, payment batch builds, exports): status and result file.

A job belongs to whoever asked for it (the same rule as the status page, jobs.views)."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from audit.downloads import private_file_response

from .models import Job
from .views import _own_job


class JobOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    state = serializers.ChoiceField(choices=Job.State.choices)
    done = serializers.IntegerField()
    total = serializers.IntegerField()
    percent = serializers.IntegerField()
    message = serializers.CharField()
    ready = serializers.SerializerMethodField(help_text="the result file can be downloaded")
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)

    def get_ready(self, job: Job) -> bool:
        return bool(job.result)


@extend_schema(responses=JobOutput)
@api_view(["GET"])
def job_status(request: Request, job_id: int) -> Response:
    return Response(JobOutput(_own_job(request, job_id)).data)


@extend_schema(responses={(200, "*/*"): OpenApiTypes.BINARY})
@api_view(["GET"])
def job_download(request: Request, job_id: int):
    """The job's result file (404 until it is ready)."""
    job = _own_job(request, job_id)
    if not job.result:
        raise Http404
    return private_file_response(
        job.result, request=request._request, obj=job, filename=job.result_name or job.result.name
    )
