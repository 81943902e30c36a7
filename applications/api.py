"""Applicant API: the same services and the same visibility selector as the pages."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, parser_classes, throttle_classes
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.selectors import organisations_of_member, user_scopes
from accounts.throttles import CalculatorThrottle
from audit.downloads import private_file_response
from core.errors import Conflict, DomainError
from core.parsers import CheckedFormParser, CheckedMultiPartParser, LimitedJSONParser
from core.serializers import FastReadMixin, ObjectField
from measures.models import Clause
from measures.selectors import clauses_of, current_policy, current_policy_or_404
from measures.services import clause_evaluate

from . import selectors, services
from .ledger import clause_evaluate_for
from .models import Application, ApplicationMaterial
from .receipt import receipt_pdf


class MaterialSerializer(FastReadMixin, serializers.Serializer):
    material_code = serializers.CharField()
    version = serializers.IntegerField()
    is_current = serializers.BooleanField()
    evidence_id = serializers.IntegerField()
    file_name = serializers.CharField(source="evidence.original_name")
    content_type = serializers.CharField(source="evidence.content_type")
    size = serializers.IntegerField(source="evidence.size")


class ApplicationSerializer(FastReadMixin, serializers.ModelSerializer):
    organisation = serializers.CharField(source="organisation.legal_name")
    clause = serializers.CharField(source="clause.code")
    round = serializers.CharField(source="round.name")
    status_label = serializers.CharField(source="get_status_display")
    rule_version = serializers.IntegerField(source="rule_version.number")
    materials = MaterialSerializer(many=True)

    class Meta:
        model = Application
        fields = [
            "reference", "organisation", "clause", "round", "status", "status_label", "revision",
            "facts", "evaluation", "computed_amount", "amount_kind", "recommended_amount",
            "approved_amount", "other_funding_declared", "other_funding_detail",
            "correction_requests", "submitted_at", "rule_version", "materials",
            # 免申即享: the list it came from, and the materials and facts that list proves.
            "exempt_source", "exempt_materials", "exempt_facts",
        ]  # fmt: skip


class CreateSerializer(serializers.Serializer):
    clause = serializers.CharField(max_length=60)
    organisation = serializers.IntegerField(required=False)
    facts = ObjectField(child=serializers.JSONField(), required=False, default=dict)


class DraftSerializer(serializers.Serializer):
    facts = ObjectField(child=serializers.JSONField())
    other_funding_declared = serializers.BooleanField(required=False, default=False)
    other_funding_detail = serializers.CharField(
        required=False, allow_blank=True, max_length=1000, default=""
    )


class SubmitSerializer(serializers.Serializer):
    pledge_accepted = serializers.BooleanField()
    pledge_name = serializers.CharField(max_length=60, allow_blank=True)


class ResubmitSerializer(serializers.Serializer):
    """The pledge again, only when the reviewer's 补正 asked for the 承诺书 (else ignored)."""

    pledge_accepted = serializers.BooleanField(required=False, default=False)
    pledge_name = serializers.CharField(max_length=60, allow_blank=True, required=False, default="")


class EvidenceSerializer(serializers.Serializer):
    material_code = serializers.CharField(max_length=40)
    file = serializers.FileField(required=False, allow_empty_file=True)
    evidence_id = serializers.IntegerField(required=False)

    def validate(self, attrs):
        if ("file" in attrs) == ("evidence_id" in attrs):
            raise serializers.ValidationError(
                {"file": [_("请上传 file，或提供已上传文件的 evidence_id（二选一）。")]}
            )
        return attrs


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")


def _visible(request: Request, reference: str) -> Application:
    return get_object_or_404(
        selectors.applications_visible_to(user=request.user), reference=reference
    )


def _own(request: Request, reference: str) -> Application:
    application = _visible(request, reference)
    if application.organisation_id not in user_scopes(request.user).organisation_ids:
        raise Http404
    return application


def with_materials(queryset):
    """What ApplicationSerializer reads, in two queries for any number of rows."""
    return (
        queryset.select_related("organisation", "clause", "round", "rule_version")
        .defer("rule_version__rule_data")
        .prefetch_related(
            Prefetch("materials", queryset=ApplicationMaterial.objects.select_related("evidence"))
        )
    )


class ApplicationCursor(CursorPagination):
    """Newest first, without a COUNT over everything visible (constant cost at any depth)."""

    ordering = ("-created_at", "-id")
    page_size = 50


CursorPage = inline_serializer(
    "CursorPaginatedApplicationList",
    {
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": ApplicationSerializer(many=True),
    },
)


def _read(reference: str) -> Response:
    application = with_materials(Application.objects).get(reference=reference)
    return Response(ApplicationSerializer(application).data)


@extend_schema(methods=["GET"], responses=CursorPage)
@extend_schema(methods=["POST"], request=CreateSerializer, responses={201: ApplicationSerializer})
@api_view(["GET", "POST"])
def application_list(request: Request) -> Response:
    """GET: applications visible to you. POST: start a draft for one of your organisations."""
    if request.method == "GET":
        paginator = ApplicationCursor()
        page = paginator.paginate_queryset(
            with_materials(selectors.applications_visible_to(user=request.user)), request
        )
        return paginator.get_paginated_response(ApplicationSerializer(page, many=True).data)
    payload = CreateSerializer(data=request.data)
    payload.is_valid(raise_exception=True)
    organisations = organisations_of_member(user=request.user)
    chosen = payload.validated_data.get("organisation")
    if chosen is not None:
        # Another's organisation id is refused, not replaced by one's own (the draft would be
        # started for an organisation the caller did not name).
        organisation = organisations.filter(pk=chosen).first()
        if organisation is None:
            message = _("您不是该申报单位的成员。")
            raise DomainError(
                message, code="unknown_organisation", detail={"organisation": [message]}
            )
    else:
        organisation = organisations.first()
    if organisation is None:
        raise DomainError(_("您尚未关联任何申报单位。"), code="no_organisation")
    clause = (
        Clause.objects.select_related("policy", "current_version")
        .filter(policy=current_policy(), code=payload.validated_data["clause"])
        .first()
    )
    if clause is None:
        raise DomainError(
            _("未知的条款代码。"), code="unknown_clause", detail={"clause": [_("未知的条款代码。")]}
        )
    application = services.application_start(
        actor=request.user,
        organisation=organisation,
        clause=clause,
        raw_facts=payload.validated_data["facts"],
    )
    response = _read(application.reference)
    response.status_code = 201
    return response


@extend_schema(methods=["GET"], responses=ApplicationSerializer)
@extend_schema(methods=["PATCH"], request=DraftSerializer, responses=ApplicationSerializer)
@extend_schema(methods=["DELETE"], request=None, responses={204: None})
@api_view(["GET", "PATCH", "DELETE"])
def application_detail(request: Request, reference: str) -> Response:
    """GET: an application you may see. PATCH: save your draft. DELETE: delete your draft."""
    if request.method == "GET":
        return _read(_visible(request, reference).reference)
    application = _own(request, reference)
    if request.method == "DELETE":
        services.application_delete_draft(actor=request.user, application_id=application.pk)
        return Response(status=204)
    payload = DraftSerializer(data=request.data)
    payload.is_valid(raise_exception=True)
    services.application_save_draft(
        actor=request.user,
        application_id=application.pk,
        raw_facts=payload.validated_data["facts"],
        other_funding_declared=payload.validated_data["other_funding_declared"],
        other_funding_detail=payload.validated_data["other_funding_detail"],
    )
    return _read(reference)


@extend_schema(request=EvidenceSerializer, responses=MaterialSerializer)
@api_view(["POST"])
@parser_classes([CheckedMultiPartParser, CheckedFormParser, LimitedJSONParser])
def application_evidence(request: Request, reference: str) -> Response:
    application = _own(request, reference)
    payload = EvidenceSerializer(data=request.data)
    payload.is_valid(raise_exception=True)
    data = payload.validated_data
    if "file" in data:
        material = services.application_attach_upload(
            actor=request.user,
            application_id=application.pk,
            material_code=data["material_code"],
            upload=data["file"],
        )
    else:
        material = services.application_attach_existing(
            actor=request.user,
            application_id=application.pk,
            material_code=data["material_code"],
            evidence_id=data["evidence_id"],
        )
    return Response(MaterialSerializer(material).data, status=201)


@extend_schema(request=SubmitSerializer, responses=ApplicationSerializer)
@api_view(["POST"])
def application_submit(request: Request, reference: str) -> Response:
    application = _own(request, reference)
    payload = SubmitSerializer(data=request.data)
    payload.is_valid(raise_exception=True)
    services.application_submit(
        actor=request.user, application_id=application.pk, **payload.validated_data
    )
    return _read(reference)


@extend_schema(request=ResubmitSerializer, responses=ApplicationSerializer)
@api_view(["POST"])
def application_resubmit(request: Request, reference: str) -> Response:
    application = _own(request, reference)
    payload = ResubmitSerializer(data=request.data)
    payload.is_valid(raise_exception=True)
    services.application_resubmit(
        actor=request.user, application_id=application.pk, **payload.validated_data
    )
    return _read(reference)


@extend_schema(request=ReasonSerializer, responses=ApplicationSerializer)
@api_view(["POST"])
def application_withdraw(request: Request, reference: str) -> Response:
    application = _own(request, reference)
    payload = ReasonSerializer(data=request.data)
    payload.is_valid(raise_exception=True)
    services.application_withdraw(
        actor=request.user, application_id=application.pk, reason=payload.validated_data["reason"]
    )
    return _read(reference)


@extend_schema(
    parameters=[OpenApiParameter("inline", bool, description="show in the browser (PDF, images)")],
    responses={(200, "*/*"): OpenApiTypes.BINARY},
)
@api_view(["GET"])
def evidence_file(request: Request, evidence_id: int):
    """An evidence file (the same visibility selector and hand-over as the page): 409 while
    the virus scan has not passed."""
    evidence = get_object_or_404(selectors.evidence_visible_to(user=request.user), pk=evidence_id)
    if not selectors.evidence_is_openable(evidence):
        infected = evidence.scan_status == evidence.ScanStatus.INFECTED
        raise Conflict(
            _("该文件发现病毒，不能打开。请联系申报单位重新上传。")
            if infected
            else _("该文件正在进行病毒扫描，扫描通过后才能打开，请稍后再试。"),
            code="infected" if infected else "scan_pending",
        )
    return private_file_response(
        evidence.file,
        request=request._request,
        obj=evidence,
        filename=evidence.original_name,
        content_type=evidence.content_type,
        inline=request.query_params.get("inline") in ("1", "true"),
    )


@extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
@api_view(["GET"])
def application_receipt(request: Request, reference: str) -> HttpResponse:
    """申报回执 as PDF: your own submitted application (404 for a draft)."""
    application = _own(request, reference)
    if application.submitted_at is None:
        raise NotFound(_("草稿尚未提交，没有申报回执。"))
    response = HttpResponse(receipt_pdf(application), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="receipt-{application.reference}.pdf"'
    return response


APPLICANT_TYPES = ["enterprise", "park", "county", "investment_promoter"]


class CalculatorRequest(serializers.Serializer):
    clause = serializers.CharField(max_length=60)
    facts = ObjectField(child=serializers.JSONField(), allow_empty=True)
    organisation = serializers.IntegerField(required=False)
    applicant_type = serializers.ChoiceField(choices=APPLICANT_TYPES, required=False)

    def validate(self, attrs):
        if "organisation" not in attrs and "applicant_type" not in attrs:
            raise serializers.ValidationError(
                {"applicant_type": _("请提供 organisation（本人所属单位）或 applicant_type。")}
            )
        return attrs


class EvaluationSerializer(serializers.Serializer):
    clause = serializers.CharField()
    rule_version = serializers.IntegerField()
    eligible = serializers.BooleanField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    amount_kind = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField())
    blocking = serializers.ListField(child=serializers.CharField())
    ratio_pending = serializers.BooleanField(
        help_text="一定比例 clause whose ratio the policy administrator has not set yet"
    )
    cap = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        allow_null=True,
        help_text="the cumulative cap of the award group (每户累计), if any",
    )


@extend_schema(request=CalculatorRequest, responses=EvaluationSerializer)
@api_view(["POST"])
@throttle_classes([CalculatorThrottle])
def calculator(request: Request) -> Response:
    """Evaluate a clause for facts, as an organisation of the caller or an applicant type."""
    payload = CalculatorRequest(data=request.data)
    payload.is_valid(raise_exception=True)
    data = payload.validated_data
    clause = clauses_of(current_policy_or_404()).filter(code=data["clause"]).first()
    if clause is None:
        raise DomainError(
            _("未知的条款代码：%(code)s") % {"code": data["clause"]},
            code="unknown_clause",
            detail={"clause": [_("未知的条款代码。")]},
        )
    if "organisation" in data:
        organisation = (
            organisations_of_member(user=request.user).filter(pk=data["organisation"]).first()
        )
        if organisation is None:
            raise DomainError(
                _("您不是该单位的成员。"),
                code="unknown_organisation",
                detail={"organisation": [_("您不是该单位的成员。")]},
            )
        _facts, result = clause_evaluate_for(
            version=clause.current_version, raw_facts=data["facts"], organisation=organisation
        )
    else:  # an applicant type only: no ledger, and required profile attributes are named
        _facts, result = clause_evaluate(
            version=clause.current_version,
            raw_facts=data["facts"],
            applicant_type=data.get("applicant_type"),
        )
    return Response(
        EvaluationSerializer(
            {
                "clause": clause.code,
                "rule_version": clause.current_version.number,
                **result.to_dict(),
            }
        ).data
    )
