"""Payments API: batches, lines, lock, results, bank imports, exports, dashboard figures.

The same selector (`batches_visible_to`) and the same services as the pages; lines are named
by their reference (明细编号), as in the exports and the bank's result file.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import api_view, parser_classes
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Department, Place
from applications.summaries import summaries_version
from core.api import query_choice, query_round_id
from core.apischema import paginate, paginated
from core.db import replica_reads
from core.errors import DomainError
from core.money import amount_in_capitals
from core.parsers import CheckedFormParser, CheckedMultiPartParser, LimitedJSONParser
from jobs.models import Job
from measures.models import Measure, Round

from . import selectors, services
from .bankfile import MAX_BYTES
from .models import LineState, PaymentBatch, PaymentLine
from .views import EXPORT_FORMATS, export_response


class BatchJobSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    state = serializers.CharField()
    percent = serializers.IntegerField()
    message = serializers.CharField()


class BatchSerializer(serializers.ModelSerializer):
    state_label = serializers.CharField(source="get_state_display")
    created_by = serializers.StringRelatedField(allow_null=True)
    locked_by = serializers.StringRelatedField(allow_null=True, help_text="null until locked")
    job = BatchJobSerializer(allow_null=True, help_text="the job adding the lines, if any")

    class Meta:
        model = PaymentBatch
        fields = [
            "reference", "state", "state_label", "filters", "note", "line_count", "total_amount",
            "build_message", "created_by", "created_at", "locked_by", "locked_at", "job",
        ]  # fmt: skip


MONEY = {"max_digits": 14, "decimal_places": 2}


class TotalsGroupSerializer(serializers.Serializer):
    label = serializers.CharField()
    count = serializers.IntegerField()
    amount = serializers.DecimalField(**MONEY)


class BatchTotalsSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    amount = serializers.DecimalField(**MONEY)
    amount_in_capitals = serializers.SerializerMethodField(help_text="大写金额")
    unconfirmed_bank_changes = serializers.IntegerField()
    by_measure = TotalsGroupSerializer(many=True)
    by_department = TotalsGroupSerializer(many=True)
    by_county = TotalsGroupSerializer(many=True)
    by_state = TotalsGroupSerializer(many=True)

    def get_amount_in_capitals(self, totals) -> str:
        return amount_in_capitals(totals.amount)


class BatchDetailSerializer(BatchSerializer):
    """A batch with its totals per measure, department, county and line state."""

    totals = serializers.SerializerMethodField()

    class Meta(BatchSerializer.Meta):
        fields = [*BatchSerializer.Meta.fields, "totals"]

    @extend_schema_field(BatchTotalsSerializer)
    def get_totals(self, batch: PaymentBatch) -> dict:
        return BatchTotalsSerializer(selectors.batch_totals(batch)).data


class LineSerializer(serializers.ModelSerializer):
    state_label = serializers.CharField(source="get_state_display")
    needs_bank_confirmation = serializers.BooleanField()
    bank_account = serializers.CharField(
        source="bank_account_masked", help_text="Masked: 6222 **** **** 3333"
    )

    class Meta:
        model = PaymentLine
        fields = [
            "reference", "number", "state", "state_label", "amount", "payee_name", "uscc",
            "bank_name", "bank_account", "letter_number", "application_reference",
            "measure_number", "measure_title", "department_name", "county_name", "round_name",
            "bank_changed", "bank_confirmed_at", "needs_bank_confirmation", "reason",
            "state_changed_at",
        ]  # fmt: skip


class BuildSerializer(serializers.Serializer):
    round = serializers.PrimaryKeyRelatedField(
        queryset=Round.objects.all(), required=False, allow_null=True
    )
    measure = serializers.PrimaryKeyRelatedField(
        queryset=Measure.objects.all(), required=False, allow_null=True
    )
    department = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(), required=False, allow_null=True
    )
    place = serializers.PrimaryKeyRelatedField(
        queryset=Place.objects.all(), required=False, allow_null=True
    )
    approved_before = serializers.DateField(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")

    def filters(self) -> selectors.BuildFilters:
        data = self.validated_data
        return selectors.BuildFilters(
            round_id=data["round"].pk if data.get("round") else None,
            measure_id=data["measure"].pk if data.get("measure") else None,
            department_id=data["department"].pk if data.get("department") else None,
            place_id=data["place"].pk if data.get("place") else None,
            approved_before=data.get("approved_before"),
        )


class LinesSerializer(serializers.Serializer):
    lines = serializers.ListField(
        child=serializers.CharField(max_length=32), min_length=1, max_length=20000
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class MarkSerializer(LinesSerializer):
    result = serializers.ChoiceField(choices=[LineState.PAID, LineState.FAILED])


class ImportSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)


class ImportOutcomeSerializer(serializers.Serializer):
    rows = serializers.IntegerField()
    paid = serializers.IntegerField()
    failed = serializers.IntegerField()


class ImportResultSerializer(serializers.Serializer):
    result = ImportOutcomeSerializer()
    batch = BatchDetailSerializer()


class ImportQueuedSerializer(serializers.Serializer):
    job = serializers.IntegerField()
    state = serializers.CharField()
    status_url = serializers.CharField()


class ImportStatusSerializer(serializers.Serializer):
    job = serializers.IntegerField(source="pk")
    state = serializers.CharField()
    percent = serializers.IntegerField()
    message = serializers.CharField()
    outcome = ImportOutcomeSerializer(source="params.outcome", allow_null=True, default=None)
    problem_count = serializers.IntegerField(source="params.problem_count", default=0)
    problems = serializers.ListField(source="params.problems", default=list)


class FigureRowSerializer(serializers.Serializer):
    key = serializers.JSONField()
    label = serializers.CharField()
    applications = serializers.IntegerField()
    awarded = serializers.IntegerField()
    awarded_amount = serializers.DecimalField(**MONEY)
    paid_amount = serializers.DecimalField(**MONEY)


class BudgetRowSerializer(serializers.Serializer):
    round = serializers.CharField(source="round_name")
    measure = serializers.CharField()
    budget = serializers.DecimalField(**MONEY)
    committed = serializers.DecimalField(**MONEY)
    paid = serializers.DecimalField(**MONEY)


class DashboardSerializer(serializers.Serializer):
    by_measure = FigureRowSerializer(many=True)
    by_county = FigureRowSerializer(many=True)
    by_round = FigureRowSerializer(many=True)
    by_status = FigureRowSerializer(many=True)
    total = FigureRowSerializer()
    budgets = BudgetRowSerializer(many=True)


def _viewer(request: Request) -> None:
    if not selectors.can_see_payments(request.user):
        raise PermissionDenied(_("只有财政拨付人员和审计人员可以查看拨付批次。"))


def _batch(request: Request, reference: str) -> PaymentBatch:
    return get_object_or_404(selectors.batches_visible_to(user=request.user), reference=reference)


def _line_ids(batch: PaymentBatch, references: list[str]) -> list[int]:
    wanted = {reference.strip().upper() for reference in references}
    found = dict(
        PaymentLine.objects.filter(batch=batch, reference__in=wanted).values_list("reference", "pk")
    )
    missing = sorted(wanted - set(found))
    if missing:
        raise DomainError(
            _("本批次中没有这些明细：%(refs)s") % {"refs": "、".join(missing[:10])},
            code="unknown_line",
            detail={"lines": missing},
        )
    return list(found.values())


def _batch_payload(batch: PaymentBatch) -> dict:
    return BatchDetailSerializer(batch).data


@extend_schema(methods=["GET"], responses=paginated(BatchSerializer))
@extend_schema(methods=["POST"], request=BuildSerializer, responses={202: BatchDetailSerializer})
@api_view(["GET", "POST"])
def batch_list(request: Request) -> Response:
    """GET: batches (newest first). POST: build a batch; lines are added by a background job."""
    _viewer(request)
    if request.method == "GET":
        return paginate(request, selectors.batches_visible_to(user=request.user), BatchSerializer)
    payload = BuildSerializer(data=request.data)
    payload.is_valid(raise_exception=True)
    batch = services.payment_batch_build(
        actor=request.user, filters=payload.filters(), note=payload.validated_data["note"]
    )
    batch.refresh_from_db()
    return Response(_batch_payload(batch), status=status.HTTP_202_ACCEPTED)


@extend_schema(responses=BatchDetailSerializer)
@api_view(["GET"])
def batch_detail(request: Request, reference: str) -> Response:
    """The batch with its totals per measure, department, county and line state."""
    return Response(_batch_payload(_batch(request, reference)))


@extend_schema(
    parameters=[OpenApiParameter("state", str), OpenApiParameter("q", str)],
    responses=paginated(LineSerializer),
)
@api_view(["GET"])
def batch_lines(request: Request, reference: str) -> Response:
    batch = _batch(request, reference)
    state = query_choice(request, "state", LineState.values)
    lines = selectors.batch_lines(
        batch, state=state or None, query=request.query_params.get("q", "")
    )
    paginator = PageNumberPagination()
    paginator.page_size = 500
    page = paginator.paginate_queryset(lines, request)
    return paginator.get_paginated_response(LineSerializer(page, many=True).data)


@extend_schema(request=None, responses=BatchDetailSerializer)
@api_view(["POST"])
def batch_lock(request: Request, reference: str) -> Response:
    batch = _batch(request, reference)
    services.payment_batch_lock(actor=request.user, batch_id=batch.pk)
    return Response(_batch_payload(_batch(request, reference)))


@extend_schema(request=LinesSerializer, responses=BatchDetailSerializer)
@api_view(["POST"])
def lines_remove(request: Request, reference: str) -> Response:
    batch = _batch(request, reference)
    payload = LinesSerializer(data=request.data)
    payload.is_valid(raise_exception=True)
    services.payment_lines_remove(
        actor=request.user,
        batch_id=batch.pk,
        line_ids=_line_ids(batch, payload.validated_data["lines"]),
        reason=payload.validated_data["reason"],
    )
    return Response(_batch_payload(_batch(request, reference)))


@extend_schema(request=LinesSerializer, responses=BatchDetailSerializer)
@api_view(["POST"])
def lines_confirm_bank(request: Request, reference: str) -> Response:
    batch = _batch(request, reference)
    payload = LinesSerializer(data=request.data)
    payload.is_valid(raise_exception=True)
    services.payment_lines_confirm_bank(
        actor=request.user,
        batch_id=batch.pk,
        line_ids=_line_ids(batch, payload.validated_data["lines"]),
    )
    return Response(_batch_payload(_batch(request, reference)))


@extend_schema(request=MarkSerializer, responses=BatchDetailSerializer)
@api_view(["POST"])
def lines_mark(request: Request, reference: str) -> Response:
    batch = _batch(request, reference)
    payload = MarkSerializer(data=request.data)
    payload.is_valid(raise_exception=True)
    services.payment_lines_mark(
        actor=request.user,
        batch_id=batch.pk,
        line_ids=_line_ids(batch, payload.validated_data["lines"]),
        result=payload.validated_data["result"],
        reason=payload.validated_data["reason"],
    )
    return Response(_batch_payload(_batch(request, reference)))


@extend_schema(
    request={"multipart/form-data": ImportSerializer},
    responses={200: ImportResultSerializer, 202: ImportQueuedSerializer},
)
@api_view(["POST"])
@parser_classes([CheckedMultiPartParser, CheckedFormParser, LimitedJSONParser])
def results_import(request: Request, reference: str) -> Response:
    """Import the bank's result file; 400 with every bad row in detail.rows, nothing applied."""
    batch = _batch(request, reference)
    payload = ImportSerializer(data=request.data)
    payload.is_valid(raise_exception=True)
    upload = payload.validated_data["file"]
    if upload.size > MAX_BYTES:
        raise DomainError(
            _("文件过大，上限为 %(mb)d MB。") % {"mb": MAX_BYTES // 1024 // 1024},
            code="file_too_large",
        )
    outcome = services.payment_results_import_start(
        actor=request.user, batch_id=batch.pk, file_name=upload.name, data=upload.read()
    )
    if isinstance(outcome, Job):  # a large file: 202, and where to follow the worker
        status_url = reverse(
            "api:payment-results-import-status", args=[batch.reference, outcome.pk]
        )
        queued = {"job": outcome.pk, "state": outcome.state, "status_url": status_url}
        return Response(ImportQueuedSerializer(queued).data, status=status.HTTP_202_ACCEPTED)
    return Response(
        ImportResultSerializer({"result": outcome, "batch": _batch(request, reference)}).data
    )


@extend_schema(request=None, responses=BatchDetailSerializer)
@api_view(["POST"])
def batch_resume(request: Request, reference: str) -> Response:
    """Restart the build of a batch whose job stopped (the same service as the page)."""
    batch = _batch(request, reference)
    services.payment_batch_resume(actor=request.user, batch_id=batch.pk)
    return Response(_batch_payload(_batch(request, reference)), status=status.HTTP_202_ACCEPTED)


@extend_schema(responses=ImportStatusSerializer)
@api_view(["GET"])
def results_import_status(request: Request, reference: str, job_id: int) -> Response:
    """A large import run by a worker: progress, then the outcome or every bad row."""
    found = selectors.results_import_job(user=request.user, reference=reference, job_id=job_id)
    if found is None:
        raise NotFound
    return Response(ImportStatusSerializer(found[1]).data)


@extend_schema(
    responses={
        (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): (
            OpenApiTypes.BINARY
        ),
        (200, "text/csv"): OpenApiTypes.BINARY,
        (200, "application/pdf"): OpenApiTypes.BINARY,
    }
)
@api_view(["GET"])
def batch_export(request: Request, reference: str, fmt: str):
    """The payment list as xlsx or csv, or the batch summary as pdf (locked batches only)."""
    batch = _batch(request, reference)
    if fmt not in EXPORT_FORMATS:
        raise NotFound
    grant = services.payment_batch_export_record(actor=request.user, batch_id=batch.pk, fmt=fmt)
    return export_response(grant, fmt)


@extend_schema(parameters=[OpenApiParameter("round", int)], responses=DashboardSerializer)
@api_view(["GET"])
def dashboard(request: Request) -> Response:
    """Counts and amounts by measure, county, round and status; budget/committed/paid."""
    if not selectors.can_see_dashboard(request.user):
        raise PermissionDenied
    round_id = query_round_id(request)
    version = summaries_version()

    def serialized() -> dict:
        with replica_reads():
            figures = selectors.dashboard_figures(
                user=request.user, round_id=round_id, version=version
            )
        return DashboardSerializer(figures).data

    # The serialized figures, like the figures and the page's markup, once per summaries version.
    return Response(
        selectors.dashboard_cached(
            user=request.user, round_id=round_id, name="api", build=serialized, version=version
        )
    )
