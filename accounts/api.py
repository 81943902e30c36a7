from __future__ import annotations

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_login_failed
from django.db import connection
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from knox.models import AuthToken
from rest_framework import serializers
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
    throttle_classes,
)
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from xianyang_portal.celery import app as celery_app
from xianyang_portal.errors import DomainError, NotAllowed

from .lockout import lockout_response
from .models import Organisation, Role
from .selectors import organisations_of_member, user_scopes
from .sessions import password_expired
from .throttles import TokenThrottle
from .tokens import token_issue, tokens_revoke
from .twofactor import has_second_factor, is_staff_account, second_factor_match


class OrganisationSummarySerializer(serializers.ModelSerializer):
    place = serializers.CharField(source="place.name")

    class Meta:
        model = Organisation
        fields = ["id", "legal_name", "uscc", "kind", "place"]


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    full_name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    organisations = OrganisationSummarySerializer(many=True)


@extend_schema(responses=MeSerializer)
@api_view(["GET"])
def me(request: Request) -> Response:
    scopes = user_scopes(request.user)
    roles = sorted(scopes.roles) + (["enterprise"] if scopes.is_enterprise else [])
    data = {
        "id": request.user.pk,
        "username": request.user.username,
        "full_name": request.user.full_name,
        "roles": [r for r in roles if r == "enterprise" or r in Role.values],
        "organisations": organisations_of_member(user=request.user),
    }
    return Response(MeSerializer(data).data)


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _check_broker() -> str:
    if celery_app.conf.task_always_eager:
        return "eager"
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return "ok"


@extend_schema(
    responses=inline_serializer(
        "Health",
        {
            "status": serializers.CharField(),
            "database": serializers.CharField(),
            "broker": serializers.CharField(),
        },
    )
)
@api_view(["GET"])
@permission_classes([AllowAny])
def health_ready(request: Request) -> Response:
    """Readiness: the database and the broker answer (503 otherwise: take the pod out)."""
    result = {"status": "ok"}
    for name, check in (("database", _check_database), ("broker", _check_broker)):
        try:
            result[name] = check()
        except Exception as exc:
            result[name] = f"error: {exc.__class__.__name__}"
            result["status"] = "error"
    return Response(result, status=200 if result["status"] == "ok" else 503)


@extend_schema(responses=inline_serializer("Liveness", {"status": serializers.CharField()}))
@api_view(["GET"])
@permission_classes([AllowAny])
@authentication_classes([])
def health_live(request: Request) -> Response:
    """Liveness: the process answers. Touches no service, so a Redis blip restarts nothing."""
    return Response({"status": "ok"})


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)
    otp = serializers.CharField(
        required=False, allow_blank=True, help_text="staff: the current TOTP code or a backup code"
    )


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()
    expiry = serializers.DateTimeField()


def _login_refused(request: Request, username: str, message: str, code: str) -> None:
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)
    raise DomainError(message, code=code)


@extend_schema(request=TokenRequestSerializer, responses=TokenResponseSerializer)
@api_view(["POST"])
@permission_classes([AllowAny])
@authentication_classes([])
@throttle_classes([TokenThrottle])
def token(request: Request) -> Response:
    """Exchange username, password and (staff) the current second-factor code for a token.

    The token expires (8 h staff, 30 days enterprise), is stored only as a digest and ends
    when the password changes or at POST /api/v1/token/revoke/.
    """
    payload = TokenRequestSerializer(data=request.data)
    payload.is_valid(raise_exception=True)
    data = payload.validated_data
    user = authenticate(
        request=request._request, username=data["username"], password=data["password"]
    )
    if getattr(request._request, "axes_locked_out", False):
        return lockout_response(request._request)
    if user is None:
        raise DomainError(_("用户名或密码不正确。"), code="invalid_credentials")
    if is_staff_account(user):
        if not has_second_factor(user):
            raise NotAllowed(
                _("工作人员账户须先在网页登录并绑定动态验证码，才能获取API令牌。"),
                code="otp_enrol_required",
            )
        if second_factor_match(user=user, token=data.get("otp", "")) is None:
            _login_refused(
                request._request,
                user.get_username(),
                _("工作人员账户须提供正确的动态验证码（otp）。"),
                "otp_invalid",
            )
        if password_expired(user):
            raise NotAllowed(_("密码已过期，请先在网页修改密码。"), code="password_expired")
    key, instance = token_issue(user=user)
    return Response({"token": key, "expiry": instance.expiry})


@extend_schema(request=None, responses={204: None})
@api_view(["POST"])
def token_revoke(request: Request) -> Response:
    """Revoke the token used for this request (or, with ?all=1, every token of the account)."""
    if request.query_params.get("all") == "1":
        tokens_revoke(user=request.user)
    elif isinstance(request.auth, AuthToken):
        request.auth.delete()
    return Response(status=204)
