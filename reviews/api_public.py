"""Public API (no account): notices (公示), objections (异议) and letter verification.

The same services and selectors as the public pages (reviews.views.public_notices,
public_notice, objection_lookup, verify_letter), at the same rate per address.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
    throttle_classes,
)
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.throttles import ObjectionThrottle, VerifyThrottle
from core.api import query_flag
from core.apischema import paginate, paginated
from core.errors import DomainError

from . import notices, selectors
from .models import Letter, Notice, NoticeEntry

MONEY = {"max_digits": 14, "decimal_places": 2}


def _public(view):
    return authentication_classes([])(permission_classes([AllowAny])(view))


class NoticeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    working_days = serializers.IntegerField()
    is_open = serializers.SerializerMethodField(help_text="objections are accepted today")

    def get_is_open(self, notice: Notice) -> bool:
        today = timezone.localdate()
        return notice.accepts_objections(today)


class NoticeEntryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    organisation_name = serializers.CharField()
    measure_title = serializers.CharField()
    clause_title = serializers.CharField()
    amount = serializers.DecimalField(**MONEY)


class NoticeIssuerOutput(serializers.Serializer):
    name = serializers.CharField()
    phone = serializers.CharField()
    address = serializers.CharField()


class NoticeDetailOutput(NoticeOutput):
    entries = NoticeEntryOutput(many=True)
    issuer = NoticeIssuerOutput()


def _published():
    """Every notice, from its publication: one published on a rest day is listed before its
    period begins on the next working day, as on the page (`starts_on` and `is_open` say so)."""
    return Notice.objects.order_by("-starts_on", "-id")


@extend_schema(
    parameters=[OpenApiParameter("open", bool, description="only notices open for objections")],
    responses=paginated(NoticeOutput),
)
@api_view(["GET"])
@_public
def notice_list(request: Request) -> Response:
    """Public notices (公示), newest first."""
    rows = _published()
    if query_flag(request, "open"):
        rows = rows.open_on(timezone.localdate())
    return paginate(request, rows, NoticeOutput)


@extend_schema(responses=NoticeDetailOutput)
@api_view(["GET"])
@_public
def notice_detail(request: Request, notice_id: int) -> Response:
    """One notice with its list (organisation, measure, clause, amount) and where to object."""
    from .views import notice_issuer

    notice = get_object_or_404(Notice, pk=notice_id)
    notice.issuer = notice_issuer()
    return Response(NoticeDetailOutput(notice).data)


class ObjectionInput(serializers.Serializer):
    entry = serializers.IntegerField(help_text="the id of the notice entry objected to")
    name = serializers.CharField(max_length=60, allow_blank=True)
    contact = serializers.CharField(max_length=100, allow_blank=True)
    content = serializers.CharField(max_length=2000, allow_blank=True)


class ObjectionPublicOutput(serializers.Serializer):
    """What a receipt number shows: status and dates, never the objector's contact."""

    receipt_no = serializers.CharField()
    notice_id = serializers.IntegerField(source="entry.notice_id")
    notice_title = serializers.CharField(source="entry.notice.title")
    organisation_name = serializers.CharField(source="entry.organisation_name")
    clause_title = serializers.CharField(source="entry.clause_title")
    created_at = serializers.DateTimeField()
    state = serializers.SerializerMethodField()
    resolved_at = serializers.DateTimeField(allow_null=True)

    def get_state(self, objection) -> str:
        """pending (核实中), upheld (异议成立) or rejected (异议不成立)."""
        if objection.resolved_at is None:
            return "pending"
        return "upheld" if objection.upheld else "rejected"


@extend_schema(request=ObjectionInput, responses={201: ObjectionPublicOutput})
@api_view(["POST"])
@_public
@throttle_classes([ObjectionThrottle])
def objection_create(request: Request, notice_id: int) -> Response:
    """Lodge a named objection to an entry of an open notice; answers the receipt number."""
    notice = get_object_or_404(Notice, pk=notice_id)
    payload = ObjectionInput(data=request.data)
    payload.is_valid(raise_exception=True)
    data = payload.validated_data
    entry = NoticeEntry.objects.filter(pk=data["entry"], notice=notice).first()
    if entry is None:
        raise DomainError(
            _("请选择公示名单中的条目。"),
            code="unknown_entry",
            detail={"entry": [_("请选择公示名单中的条目。")]},
        )
    objection = notices.objection_lodge(
        entry_id=entry.pk, name=data["name"], contact=data["contact"], content=data["content"]
    )
    found = selectors.objection_by_receipt(receipt_no=objection.receipt_no)
    return Response(ObjectionPublicOutput(found).data, status=201)


@extend_schema(responses=ObjectionPublicOutput)
@api_view(["GET"])
@_public
@throttle_classes([VerifyThrottle])
def objection_lookup(request: Request, receipt_no: str) -> Response:
    """An objection's status by its receipt number (受理回执号)."""
    objection = selectors.objection_by_receipt(receipt_no=receipt_no[:24])
    if objection is None:
        raise NotFound(_("未找到该回执号，请核对后重试。"))
    return Response(ObjectionPublicOutput(objection).data)


class LetterVerifyOutput(serializers.Serializer):
    """The public check of a letter: genuine or not, current or superseded; nothing private."""

    number = serializers.CharField()
    organisation_name = serializers.CharField()
    measure_title = serializers.CharField()
    clause_title = serializers.CharField()
    amount = serializers.DecimalField(**MONEY)
    issued_on = serializers.DateField()
    state = serializers.ChoiceField(choices=Letter.State.choices)
    superseded_by = serializers.CharField(source="superseded_by.number", allow_null=True)


@extend_schema(responses=LetterVerifyOutput)
@api_view(["GET"])
@_public
@throttle_classes([VerifyThrottle])
def letter_verify(request: Request, code: str) -> Response:
    letter = selectors.letter_by_code(code)
    if letter is None:
        raise NotFound(_("未找到该验证码对应的通知书，请核对。"))
    return Response(LetterVerifyOutput(letter).data)
