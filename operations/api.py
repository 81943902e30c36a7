"""The operations page as API: the side effects' backlog and failures, and a retry (the policy
and the security administrators; the same selectors and service as operations.views)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from outbox.models import OutboxMessage
from outbox.services import outbox_retry

from . import selectors


class BacklogOutput(serializers.Serializer):
    kind = serializers.CharField()
    pending = serializers.IntegerField()
    failed = serializers.IntegerField()
    oldest_minutes = serializers.IntegerField(allow_null=True)


class OutboxMessageOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    state = serializers.ChoiceField(choices=OutboxMessage.State.choices)
    attempts = serializers.IntegerField()
    last_error = serializers.CharField()
    created_at = serializers.DateTimeField()
    available_at = serializers.DateTimeField()
    delivered_at = serializers.DateTimeField(allow_null=True)


class OperationsOutput(serializers.Serializer):
    backlog = BacklogOutput(many=True)
    problems = OutboxMessageOutput(many=True, help_text="at most 100, failed first")


def _operator(request: Request) -> None:
    if not selectors.can_operate(request.user):
        raise PermissionDenied


@extend_schema(responses=OperationsOutput)
@api_view(["GET"])
def operations(request: Request) -> Response:
    _operator(request)
    return Response(
        OperationsOutput(
            {
                "backlog": selectors.outbox_backlog(user=request.user),
                "problems": selectors.outbox_problems(user=request.user),
            }
        ).data
    )


@extend_schema(request=None, responses=OutboxMessageOutput)
@api_view(["POST"])
def retry(request: Request, message_id: int) -> Response:
    """Give a failed (or waiting) side effect a fresh set of attempts now."""
    _operator(request)
    if not selectors.outbox_messages_visible_to(user=request.user).filter(pk=message_id).exists():
        raise NotFound
    return Response(
        OutboxMessageOutput(outbox_retry(actor=request.user, message_id=message_id)).data
    )
