"""Reviewer API: queues, case detail, actions and bulk actions (same services and selectors)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from accounts.selectors import user_scopes
from applications.api import ApplicationSerializer, with_materials
from applications.lifecycle.engine import TransitionRequest, actor_kinds
from applications.lifecycle.transitions import Action, actions_from
from applications.models import Application
from xianyang_portal.errors import DomainError

from . import selectors, services

API_PAGE_SIZE = 50


class CaseSerializer(ApplicationSerializer):
    uscc = serializers.CharField(source="organisation.uscc")
    county = serializers.CharField(source="organisation.place.name")
    open_flags = serializers.IntegerField(read_only=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta(ApplicationSerializer.Meta):
        fields = [
            *ApplicationSerializer.Meta.fields,
            "uscc",
            "county",
            "open_flags",
            "allowed_actions",
        ]

    def get_allowed_actions(self, application) -> list[str]:
        kinds = actor_kinds(self.context["request"].user, application)
        return [t.action for t in actions_from(application.status) if t.actors & kinds]


class ActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=Action.values)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    amount = serializers.CharField(required=False, allow_null=True, max_length=20, default=None)
    amount_basis = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, default=""
    )
    revision = serializers.IntegerField(required=False)
    corrections = serializers.DictField(
        child=serializers.CharField(max_length=500, allow_blank=True), required=False, default=dict
    )


class BulkSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=services.BULK_ACTIONS)
    references = serializers.ListField(
        child=serializers.CharField(max_length=24), min_length=1, max_length=500
    )
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


def _reviewer(request: Request) -> None:
    if not user_scopes(request.user).roles & selectors.REVIEWER_ROLES:
        raise PermissionDenied


@extend_schema(
    parameters=[
        OpenApiParameter(name, str)
        for name in (
            "q",
            "round",
            "measure",
            "clause",
            "county",
            "status",
            "amount_min",
            "amount_max",
            "flagged",
            "waiting_days",
            "sort",
        )
    ],
    responses=CaseSerializer(many=True),
)
@api_view(["GET"])
def queue(request: Request) -> Response:
    _reviewer(request)
    queue_filter, counts = selectors.review_queue(user=request.user, params=request.query_params)
    if not queue_filter.is_valid():
        raise DomainError(_("筛选条件有误。"), code="invalid", detail=queue_filter.errors)
    page = selectors.queue_page(
        user=request.user,
        queue=queue_filter,
        number=request.query_params.get("page"),
        per_page=API_PAGE_SIZE,
        rows=with_materials(
            Application.objects.select_related(*selectors.QUEUE_ROW_RELATIONS).defer(
                *selectors.QUEUE_ROW_DEFERRED
            )
        ),
    )
    url = request.build_absolute_uri()
    return Response(
        {
            "count": page.paginator.count,
            "count_estimated": page.paginator.estimated,
            "next": replace_query_param(url, "page", page.next_page_number())
            if page.has_next()
            else None,
            "previous": replace_query_param(url, "page", page.previous_page_number())
            if page.has_previous()
            else None,
            "results": CaseSerializer(page, many=True, context={"request": request}).data,
            "counts": counts,
        }
    )


@extend_schema(responses=CaseSerializer)
@api_view(["GET"])
def case(request: Request, reference: str) -> Response:
    _reviewer(request)
    application = get_object_or_404(
        selectors.review_cases_visible_to(user=request.user), reference=reference
    )
    return Response(CaseSerializer(application, context={"request": request}).data)


@extend_schema(request=ActionSerializer, responses=CaseSerializer)
@api_view(["POST"])
def act(request: Request, reference: str) -> Response:
    _reviewer(request)
    application = get_object_or_404(
        selectors.review_cases_visible_to(user=request.user), reference=reference
    )
    payload = ActionSerializer(data=request.data)
    payload.is_valid(raise_exception=True)
    data = payload.validated_data
    services.review_act(
        actor=request.user,
        application_id=application.pk,
        request=TransitionRequest(
            action=data["action"],
            comment=data["comment"],
            amount=data["amount"],
            amount_basis=data["amount_basis"],
            expected_revision=data.get("revision"),
            corrections=data["corrections"],
        ),
    )
    refreshed = selectors.review_cases_visible_to(user=request.user).get(pk=application.pk)
    return Response(CaseSerializer(refreshed, context={"request": request}).data)


class BulkResultSerializer(serializers.Serializer):
    reference = serializers.CharField()
    ok = serializers.BooleanField()
    message = serializers.CharField()


@extend_schema(
    request=BulkSerializer,
    responses=inline_serializer("BulkResults", {"results": BulkResultSerializer(many=True)}),
)
@api_view(["POST"])
def bulk(request: Request) -> Response:
    _reviewer(request)
    payload = BulkSerializer(data=request.data)
    payload.is_valid(raise_exception=True)
    results = services.review_bulk(
        actor=request.user,
        references=payload.validated_data["references"],
        action=payload.validated_data["action"],
        comment=payload.validated_data["comment"],
    )
    return Response(
        {"results": [{"reference": r.reference, "ok": r.ok, "message": r.message} for r in results]}
    )
