"""The integration API for 陕企通 / 咸企通 and the staff API for recognition lists."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    parser_classes,
    permission_classes,
    throttle_classes,
)
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api import member_organisation
from accounts.models import Role
from accounts.selectors import user_scopes
from accounts.uscc import validate_uscc
from core.apischema import paginate, paginated
from core.errors import DomainError, NotAllowed, NotFound
from core.parsers import CheckedMultiPartParser
from measures.api import MeasureSerializer
from measures.selectors import current_policy, measures_of

from . import selectors, services
from .auth import ServiceAccountAuthentication, ServiceAccountThrottle, has_scope
from .models import RecognitionRow, Scope


def integration(scope: str):
    """The decorators every integration operation carries: key auth, its scope, its rate."""

    def wrap(view):
        view = throttle_classes([ServiceAccountThrottle])(view)
        view = permission_classes([has_scope(scope)])(view)
        return authentication_classes([ServiceAccountAuthentication])(view)

    return wrap


@extend_schema(responses=MeasureSerializer(many=True), tags=["integration"])
@api_view(["GET"])
@integration(Scope.READ_POLICY)
def policy(request: Request) -> Response:
    policy_ = current_policy()
    rows = measures_of(policy_) if policy_ else []
    return Response(MeasureSerializer(rows, many=True).data)


class StatusOutput(serializers.Serializer):
    reference = serializers.CharField()
    clause = serializers.CharField(source="clause.code")
    clause_title = serializers.CharField(source="clause.title")
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    exempt = serializers.SerializerMethodField()
    approved_amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, allow_null=True, read_only=True
    )
    updated_at = serializers.DateTimeField()

    def get_exempt(self, application) -> bool:
        return bool(application.exempt_source)


@extend_schema(responses=StatusOutput(many=True), tags=["integration"])
@api_view(["GET"])
@integration(Scope.READ_STATUSES)
def organisation_statuses(request: Request, uscc: str) -> Response:
    try:
        code = validate_uscc(uscc)
    except ValidationError as exc:  # its message names the problem (length, check character …)
        raise DomainError(
            exc.messages[0], code="invalid_uscc", detail={"uscc": exc.messages}
        ) from exc
    rows = selectors.statuses_for_platform(uscc=code)
    if rows is None:
        raise NotFound(_("该统一社会信用代码的单位尚未在平台注册。"))
    return Response(StatusOutput(rows, many=True).data)


class ListInput(serializers.Serializer):
    clause = serializers.CharField(max_length=40)
    title = serializers.CharField(max_length=200)
    document_no = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )
    file = serializers.FileField()


class UnmatchedOutput(serializers.Serializer):
    row = serializers.IntegerField()
    uscc = serializers.CharField()
    name = serializers.CharField()


class ListOutput(serializers.Serializer):
    id = serializers.IntegerField(source="recognition_list.pk")
    title = serializers.CharField(source="recognition_list.title")
    clause = serializers.CharField(source="recognition_list.clause.code")
    rows = serializers.IntegerField(source="recognition_list.row_count")
    created = serializers.IntegerField()
    existing = serializers.IntegerField()
    unmatched = UnmatchedOutput(many=True)


class RecognitionListOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    document_no = serializers.CharField()
    clause = serializers.CharField(source="clause.code")
    row_count = serializers.IntegerField()
    imported_by = serializers.CharField(source="imported_by.username")
    imported_via = serializers.CharField(source="imported_via.name", allow_null=True, default=None)
    imported_at = serializers.DateTimeField()


def _import(request: Request, *, actor, via) -> Response:
    payload = ListInput(data=request.data)
    payload.is_valid(raise_exception=True)
    data = payload.validated_data
    upload = data["file"]
    result = services.recognition_list_import(
        actor=actor,
        clause_code=data["clause"],
        title=data["title"],
        document_no=data["document_no"],
        file_name=upload.name,
        data=upload.read(services.LIST_SPEC.max_bytes + 1),
        via=via,
    )
    return Response(ListOutput(result).data, status=201)


@extend_schema(
    request={"multipart/form-data": ListInput}, responses=ListOutput, tags=["integration"]
)
@api_view(["POST"])
@parser_classes([CheckedMultiPartParser])
@integration(Scope.PUSH_RECOGNITIONS)
def push_recognition_list(request: Request) -> Response:
    account = request.auth
    # The platform's lists are recorded as imported by the administrator who issued its key.
    return _import(request, actor=account.created_by, via=account)


@extend_schema(methods=["GET"], responses=paginated(RecognitionListOutput))
@extend_schema(
    methods=["POST"], request={"multipart/form-data": ListInput}, responses={201: ListOutput}
)
@api_view(["GET", "POST"])
@parser_classes([CheckedMultiPartParser])
def recognition_list_import(request: Request) -> Response:
    """GET: the imported 免申即享 lists. POST: the policy administrator's import (the same
    service as the page)."""
    if request.method == "GET":
        _require_page_role(request, Role.POLICY_ADMIN)
        rows = selectors.recognition_lists_visible_to(user=request.user).order_by("-imported_at")
        return paginate(request, rows, RecognitionListOutput)
    if not user_scopes(request.user).has(Role.POLICY_ADMIN):
        raise NotAllowed(_("只有政策管理员可以导入认定名单。"))
    return _import(request, actor=request.user, via=None)


class RowOutput(serializers.ModelSerializer):
    application = serializers.CharField(source="application.reference", allow_null=True)

    class Meta:
        model = RecognitionRow
        fields = ["row", "uscc", "name", "level", "recognised_on", "outcome", "application"]


@extend_schema(responses=RowOutput(many=True))
@api_view(["GET"])
def recognition_list_rows(request: Request, list_id: int) -> Response:
    recognition_list = selectors.recognition_lists_visible_to(user=request.user).filter(pk=list_id)
    if not recognition_list.exists():
        raise NotFound(_("找不到该名单。"))
    rows = RecognitionRow.objects.filter(recognition_list_id=list_id).select_related("application")
    return Response(RowOutput(rows, many=True).data)


class SubscriptionInput(serializers.Serializer):
    url = serializers.CharField(max_length=500)


class SubscriptionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()
    active = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class SubscriptionCreatedOutput(SubscriptionOutput):
    secret = serializers.CharField(help_text="HMAC-SHA256 key for X-Portal-Signature; shown once")


@extend_schema(
    methods=["POST"],
    request=SubscriptionInput,
    responses=SubscriptionCreatedOutput,
    tags=["integration"],
)
@extend_schema(methods=["GET"], responses=SubscriptionOutput(many=True), tags=["integration"])
@api_view(["GET", "POST"])
@integration(Scope.READ_STATUSES)
def webhooks(request: Request) -> Response:
    account = request.auth
    if request.method == "GET":
        rows = account.subscriptions.filter(active=True)
        return Response(SubscriptionOutput(rows, many=True).data)
    payload = SubscriptionInput(data=request.data)
    payload.is_valid(raise_exception=True)
    subscription = services.webhook_subscribe(account=account, url=payload.validated_data["url"])
    return Response(SubscriptionCreatedOutput(subscription).data, status=201)


@extend_schema(responses={204: None}, tags=["integration"])
@api_view(["DELETE"])
@integration(Scope.READ_STATUSES)
def webhook_delete(request: Request, subscription_id: int) -> Response:
    services.webhook_unsubscribe(account=request.auth, subscription_id=subscription_id)
    return Response(status=204)


class DeliveryOutput(serializers.Serializer):
    """One webhook delivery: its row in the shared outbox (attempts, last error, next try)."""

    STATES = {"pending": "pending", "done": "delivered", "failed": "failed"}

    idempotency_key = serializers.CharField(source="payload.idempotency_key")
    event = serializers.CharField(source="payload.event")
    state = serializers.SerializerMethodField()
    attempts = serializers.IntegerField()
    last_error = serializers.CharField()
    next_attempt_at = serializers.SerializerMethodField()
    delivered_at = serializers.DateTimeField(allow_null=True)
    payload = serializers.JSONField(source="payload.body")

    def get_state(self, message) -> str:
        return self.STATES[message.state]

    def get_next_attempt_at(self, message) -> datetime | None:
        if message.state != "pending":
            return None
        return serializers.DateTimeField().to_representation(message.available_at)


@extend_schema(
    responses=inline_serializer(
        "DeliveryLog", {"count": serializers.IntegerField(), "results": DeliveryOutput(many=True)}
    ),
    tags=["integration"],
)
@api_view(["GET"])
@integration(Scope.READ_STATUSES)
def webhook_deliveries(request: Request) -> Response:
    rows = selectors.deliveries_of(account=request.auth)
    return Response({"count": rows.count(), "results": DeliveryOutput(rows[:200], many=True).data})


# --- the integrations pages' own operations (security administrator, policy administrator,
# enterprise): the same selectors and services as integrations/views.py ---------------------


def _require_page_role(request: Request, role: str) -> None:
    write = request.method not in ("GET", "HEAD", "OPTIONS")
    if not selectors.may_use_page(user=request.user, role=role, write=write):
        raise NotAllowed(_("您没有权限执行此操作。"))


class ServiceAccountOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=Scope.choices))
    key_prefix = serializers.CharField()
    created_by = serializers.CharField(source="created_by.username")
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    rotated_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    last_used_at = serializers.DateTimeField(allow_null=True)


class ServiceAccountInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=Scope.choices), allow_empty=False, max_length=10
    )
    valid_days = serializers.IntegerField(min_value=1, max_value=3650, default=365)


class IssuedKeyOutput(serializers.Serializer):
    account = ServiceAccountOutput()
    key = serializers.CharField(help_text="The API key; shown once, only its hash is stored")


class RevokeInput(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


def _visible_account(request: Request, account_id: int):
    account = selectors.service_accounts_visible_to(user=request.user).filter(pk=account_id).first()
    if account is None:
        raise NotFound(_("找不到该对接账号。"))
    return account


@extend_schema(methods=["GET"], responses=paginated(ServiceAccountOutput))
@extend_schema(methods=["POST"], request=ServiceAccountInput, responses={201: IssuedKeyOutput})
@api_view(["GET", "POST"])
def service_accounts(request: Request) -> Response:
    """GET: the integration accounts. POST: issue one (the key is in this answer only)."""
    _require_page_role(request, Role.SECURITY_ADMIN)
    if request.method == "GET":
        rows = selectors.service_accounts_visible_to(user=request.user).order_by("-created_at")
        return paginate(request, rows, ServiceAccountOutput)
    payload = ServiceAccountInput(data=request.data)
    payload.is_valid(raise_exception=True)
    issued = services.service_account_create(actor=request.user, **payload.validated_data)
    return Response(IssuedKeyOutput(issued).data, status=201)


@extend_schema(request=None, responses=IssuedKeyOutput)
@api_view(["POST"])
def service_account_rotate(request: Request, account_id: int) -> Response:
    """A new key replaces the old one at once; the new key is in this answer only."""
    _require_page_role(request, Role.SECURITY_ADMIN)
    account = _visible_account(request, account_id)
    issued = services.service_account_rotate(actor=request.user, account_id=account.pk)
    return Response(IssuedKeyOutput(issued).data)


@extend_schema(request=RevokeInput, responses=ServiceAccountOutput)
@api_view(["POST"])
def service_account_revoke(request: Request, account_id: int) -> Response:
    _require_page_role(request, Role.SECURITY_ADMIN)
    account = _visible_account(request, account_id)
    payload = RevokeInput(data=request.data)
    payload.is_valid(raise_exception=True)
    revoked = services.service_account_revoke(
        actor=request.user, account_id=account.pk, reason=payload.validated_data["reason"]
    )
    return Response(ServiceAccountOutput(revoked).data)


class CredentialOutput(serializers.Serializer):
    id = serializers.IntegerField()
    clause_code = serializers.CharField()
    title = serializers.CharField()
    level = serializers.CharField()
    obtained_on = serializers.DateField(allow_null=True)
    number = serializers.CharField()
    created_at = serializers.DateTimeField()


class CredentialInput(serializers.Serializer):
    clause = serializers.CharField(max_length=40)
    title = serializers.CharField(max_length=200)
    level = serializers.CharField(max_length=40, required=False, default="", allow_blank=True)
    obtained_on = serializers.DateField(required=False, allow_null=True, default=None)
    number = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)


class PushPreferenceIO(serializers.Serializer):
    opted_out = serializers.BooleanField()


@extend_schema(methods=["GET"], responses=paginated(CredentialOutput))
@extend_schema(methods=["POST"], request=CredentialInput, responses={201: CredentialOutput})
@api_view(["GET", "POST"])
def credentials(request: Request) -> Response:
    """一企一档: your organisation's recognitions and certificates (they pre-fill applications)."""
    from applications import services as application_services
    from applications.models import Credential

    organisation = member_organisation(request)
    if request.method == "GET":
        rows = Credential.objects.filter(organisation=organisation).order_by("-created_at")
        return paginate(request, rows, CredentialOutput)
    payload = CredentialInput(data=request.data)
    payload.is_valid(raise_exception=True)
    data = payload.validated_data
    by_code = {c.code: c for c in selectors.monetary_clauses()}
    clause = by_code.get(data["clause"])
    if clause is None:
        message = _("未知的条款代码：%(code)s。") % {"code": data["clause"]}
        raise DomainError(message, code="unknown_clause", detail={"clause": [message]})
    credential = application_services.credential_add(
        actor=request.user,
        organisation=organisation,
        clause=clause,
        title=data["title"],
        level=data["level"],
        obtained_on=data["obtained_on"],
        number=data["number"],
    )
    return Response(CredentialOutput(credential).data, status=201)


@extend_schema(responses={204: None})
@api_view(["DELETE"])
def credential_delete(request: Request, credential_id: int) -> Response:
    from applications import services as application_services

    try:
        application_services.credential_remove(actor=request.user, credential_id=credential_id)
    except NotAllowed as exc:
        raise NotFound(str(exc)) from exc
    return Response(status=204)


@extend_schema(methods=["PUT"], request=PushPreferenceIO, responses=PushPreferenceIO)
@extend_schema(methods=["GET"], responses=PushPreferenceIO)
@api_view(["GET", "PUT"])
def push_preference(request: Request) -> Response:
    """精准推送: whether your organisation receives the round-opening policy messages."""
    from .models import PushPreference

    organisation = member_organisation(request)
    if request.method == "PUT":
        payload = PushPreferenceIO(data=request.data)
        payload.is_valid(raise_exception=True)
        services.push_preference_set(
            actor=request.user,
            organisation=organisation,
            opted_out=payload.validated_data["opted_out"],
        )
    preference = PushPreference.objects.filter(organisation=organisation).first()
    return Response({"opted_out": bool(preference and preference.opted_out)})
