from __future__ import annotations

from django.db import connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from xianyang_portal.celery import app as celery_app

from .models import Organisation, Role
from .selectors import organisations_of_member, user_scopes


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


@extend_schema(responses=inline_serializer("Liveness", {"status": serializers.CharField()}))
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
def health_live(request: Request) -> Response:
    """Liveness: the process answers; touches neither the database nor the broker."""
    return Response({"status": "ok"})


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
@authentication_classes([])
@permission_classes([AllowAny])
def health(request: Request) -> Response:
    result = {"status": "ok"}
    for name, check in (("database", _check_database), ("broker", _check_broker)):
        try:
            result[name] = check()
        except Exception as exc:
            result[name] = f"error: {exc.__class__.__name__}"
            result["status"] = "error"
    return Response(result, status=200 if result["status"] == "ok" else 503)


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"})


@extend_schema(
    request=TokenRequestSerializer,
    responses=inline_serializer("Token", {"token": serializers.CharField()}),
)
@api_view(["POST"])
@permission_classes([AllowAny])
def token(request: Request) -> Response:
    """Exchange a username and password for an API token (login throttling applies)."""
    serializer = AuthTokenSerializer(data=request.data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    user_token, _created = Token.objects.get_or_create(user=serializer.validated_data["user"])
    return Response({"token": user_token.key})
