from __future__ import annotations

from celery import current_app as celery_app  # the project's app (xianyang_portal.celery)
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_login_failed
from django.db import connection
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from knox.models import AuthToken
from rest_framework import serializers
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
    throttle_classes,
)
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import query_flag
from core.apischema import paginate, paginated
from core.crypto import PERSONAL_MASKS
from core.errors import DomainError, NotAllowed

from .forms import LOGIN_REFUSED
from .lockout import lockout_response, wrong_current_password
from .models import Organisation, Role
from .selectors import (
    notifications_unread_count,
    notifications_visible_to,
    organisations_of_member,
    staff_users_visible_to,
    user_scopes,
)
from .sessions import INITIAL_PASSWORD_MESSAGE, password_expired
from .throttles import TokenThrottle
from .tokens import token_issue, token_sign_out
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
    """Exchange username, password and the current second-factor code (staff, and any account
    with an authenticator) for a token.

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
        raise DomainError(str(LOGIN_REFUSED), code="invalid_credentials")
    if is_staff_account(user) and not has_second_factor(user):
        raise NotAllowed(
            _("工作人员账户须先在网页登录并绑定动态验证码，才能获取API令牌。"),
            code="otp_enrol_required",
        )
    if (
        has_second_factor(user)
        and second_factor_match(user=user, token=data.get("otp", "")) is None
    ):
        _login_refused(
            request._request, user.get_username(), str(LOGIN_REFUSED), "invalid_credentials"
        )
    if user.password_must_change:
        raise NotAllowed(str(INITIAL_PASSWORD_MESSAGE), code="initial_password")
    if is_staff_account(user) and password_expired(user):
        raise NotAllowed(_("密码已过期，请先在网页修改密码。"), code="password_expired")
    key, instance = token_issue(user=user)
    return Response({"token": key, "expiry": instance.expiry})


@extend_schema(request=None, responses={204: None})
@api_view(["POST"])
def token_revoke(request: Request) -> Response:
    """Revoke the token used for this request (or, with ?all=1, every token of the account)."""
    every = query_flag(request, "all")
    token_sign_out(
        user=request.user,
        token=request.auth if isinstance(request.auth, AuthToken) else None,
        every=every,
    )
    return Response(status=204)


# --- the organisation profile and bank account (单位信息) ----------------------------------


class OrganisationProfileOutput(serializers.Serializer):
    id = serializers.IntegerField()
    legal_name = serializers.CharField()
    uscc = serializers.CharField()
    kind = serializers.CharField()
    place = serializers.CharField(source="place.name")
    industry = serializers.CharField()
    is_industrial = serializers.BooleanField()
    is_local_drug_manufacturer = serializers.BooleanField()
    contact_name = serializers.CharField()
    contact_phone = serializers.SerializerMethodField(help_text="masked: 138****5678")
    contact_email = serializers.CharField()
    payee_name = serializers.CharField()
    bank_name = serializers.CharField()
    bank_account = serializers.SerializerMethodField(help_text="masked: 6222 **** **** 3333")
    bank_account_updated_at = serializers.DateTimeField(allow_null=True)

    def get_contact_phone(self, organisation: Organisation) -> str:
        return PERSONAL_MASKS["contact_phone"](organisation.contact_phone)

    def get_bank_account(self, organisation: Organisation) -> str:
        return PERSONAL_MASKS["bank_account"](organisation.bank_account)


class OrganisationProfileInput(serializers.Serializer):
    """Fields to change; a masked value sent back unchanged keeps the stored one."""

    industry = serializers.CharField(required=False, allow_blank=True, max_length=60)
    is_industrial = serializers.BooleanField(required=False)
    is_local_drug_manufacturer = serializers.BooleanField(required=False)
    contact_name = serializers.CharField(required=False, max_length=60)
    contact_phone = serializers.CharField(required=False, max_length=20)
    contact_email = serializers.EmailField(required=False, allow_blank=True)
    payee_name = serializers.CharField(required=False, allow_blank=True, max_length=120)
    bank_name = serializers.CharField(required=False, allow_blank=True, max_length=120)
    bank_account = serializers.CharField(required=False, allow_blank=True, max_length=40)


def member_organisation(request: Request) -> Organisation:
    """The organisation the signed-in member acts for (the API's 404 when there is none)."""
    organisation = organisations_of_member(user=request.user).select_related("place").first()
    if organisation is None:
        raise NotFound(_("您尚未关联任何申报主体。"))
    return organisation


@extend_schema(request=OrganisationProfileInput, responses=OrganisationProfileOutput)
@api_view(["GET", "PATCH"])
def organisation_profile(request: Request) -> Response:
    """GET: your organisation's profile (phone and bank account masked). PATCH: change it,
    through the profile page's form and service (a bank change is audited and re-confirmed
    by finance before the next payment)."""
    organisation = member_organisation(request)
    if request.method == "PATCH":
        payload = OrganisationProfileInput(data=request.data)
        payload.is_valid(raise_exception=True)
        _profile_update(request, organisation, payload.validated_data)
        organisation = member_organisation(request)
    return Response(OrganisationProfileOutput(organisation).data)


def _profile_update(request: Request, organisation: Organisation, changes: dict) -> None:
    from django.core.exceptions import ValidationError

    from .forms import OrganisationProfileForm
    from .services import organisation_update_profile

    current = OrganisationProfileForm(instance=organisation)
    data = {name: current.initial.get(name, "") for name in OrganisationProfileForm.Meta.fields}
    data.update(changes)
    for name in ("is_industrial", "is_local_drug_manufacturer"):  # checkboxes: absent = off
        if not data.get(name):
            data.pop(name, None)
    form = OrganisationProfileForm(data, instance=organisation)
    if not form.is_valid():
        raise serializers.ValidationError(
            {field: [str(message) for message in errors] for field, errors in form.errors.items()}
        )
    try:
        organisation_update_profile(
            actor=request.user,
            organisation=organisation,
            data={field: form.cleaned_data[field] for field in form.Meta.fields},
        )
    except ValidationError as exc:
        raise serializers.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        ) from exc


# --- the message centre (消息中心) ---------------------------------------------------------


class NotificationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    subject = serializers.CharField()
    body = serializers.CharField()
    link = serializers.CharField(help_text="a path inside the portal, or empty")
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)


@extend_schema(
    parameters=[OpenApiParameter("unread", bool, description="only unread messages")],
    responses=paginated(NotificationOutput),
)
@api_view(["GET"])
def notification_list(request: Request) -> Response:
    """Your messages, newest first."""
    rows = notifications_visible_to(user=request.user).order_by("-created_at", "-id")
    if query_flag(request, "unread"):
        rows = rows.filter(read_at__isnull=True)
    return paginate(request, rows, NotificationOutput)


class UnreadCountOutput(serializers.Serializer):
    unread = serializers.IntegerField()


@extend_schema(responses=UnreadCountOutput)
@api_view(["GET"])
def notification_unread_count(request: Request) -> Response:
    return Response({"unread": notifications_unread_count(user=request.user)})


class MarkReadInput(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        max_length=1000,
        help_text="the messages to mark read; omit to mark every unread message read",
    )


class MarkReadOutput(serializers.Serializer):
    marked = serializers.IntegerField()
    unread = serializers.IntegerField()


@extend_schema(request=MarkReadInput, responses=MarkReadOutput)
@api_view(["POST"])
def notification_mark_read(request: Request) -> Response:
    """Mark messages read (yours only; ids of other users' messages are ignored)."""
    from .services import notifications_mark_read

    payload = MarkReadInput(data=request.data)
    payload.is_valid(raise_exception=True)
    marked = notifications_mark_read(
        actor=request.user, notification_ids=payload.validated_data.get("ids")
    )
    return Response({"marked": marked, "unread": notifications_unread_count(user=request.user)})


# --- staff accounts (the security administrator's page; the auditor reads it) --------------


class RoleAssignmentOutput(serializers.Serializer):
    role = serializers.CharField()
    place = serializers.CharField(source="place.name", allow_null=True)
    department = serializers.CharField(source="department.name", allow_null=True)


class StaffUserOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    full_name = serializers.CharField()
    is_active = serializers.BooleanField()
    roles = RoleAssignmentOutput(source="role_assignments", many=True)


class StaffUserInput(serializers.Serializer):
    username = serializers.CharField(max_length=40)
    full_name = serializers.CharField(max_length=60)
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=Role.choices)
    place = serializers.IntegerField(required=False, allow_null=True, help_text="Place id")
    department = serializers.IntegerField(
        required=False, allow_null=True, help_text="Department id"
    )
    password = serializers.CharField(trim_whitespace=False, max_length=128)


def _staff_reader(request: Request):
    scopes = user_scopes(request.user)
    if not (scopes.has(Role.SECURITY_ADMIN) or scopes.has(Role.AUDITOR)):
        raise PermissionDenied
    return scopes


@extend_schema(methods=["GET"], responses=paginated(StaffUserOutput))
@extend_schema(methods=["POST"], request=StaffUserInput, responses={201: StaffUserOutput})
@api_view(["GET", "POST"])
def staff_list(request: Request) -> Response:
    """GET: staff accounts and their roles. POST: create one (security administrator), through
    the staff page's form and service (password rules, 三员分立 role conflicts, audit)."""
    from django.core.exceptions import ValidationError

    from .forms import StaffUserForm
    from .services import staff_user_create

    scopes = _staff_reader(request)
    if request.method == "GET":
        return paginate(request, staff_users_visible_to(user=request.user), StaffUserOutput)
    if not scopes.has(Role.SECURITY_ADMIN):
        raise PermissionDenied
    payload = StaffUserInput(data=request.data)
    payload.is_valid(raise_exception=True)
    form = StaffUserForm({k: v for k, v in payload.validated_data.items() if v is not None})
    if not form.is_valid():
        raise serializers.ValidationError(
            {field: [str(message) for message in errors] for field, errors in form.errors.items()}
        )
    try:
        user = staff_user_create(actor=request.user, **form.cleaned_data)
    except ValidationError as exc:
        raise serializers.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        ) from exc
    return Response(
        StaffUserOutput(staff_users_visible_to(user=request.user).get(pk=user.pk)).data, status=201
    )


STAFF_ACTIONS = ("otp-reset", "unlock")


@extend_schema(request=None, responses=StaffUserOutput)
@api_view(["POST"])
def staff_security_action(request: Request, user_id: int, action: str) -> Response:
    """Reset a staff member's second factor (otp-reset) or lift a login lock-out (unlock)."""
    from .services import user_otp_reset, user_unlock

    target = staff_users_visible_to(user=request.user).filter(pk=user_id).first()
    if target is None or action not in STAFF_ACTIONS:
        raise NotFound
    operation = {"otp-reset": user_otp_reset, "unlock": user_unlock}[action]
    operation(actor=request.user, user=target)
    return Response(StaffUserOutput(staff_users_visible_to(user=request.user).get(pk=user_id)).data)


class PasswordChangeInput(serializers.Serializer):
    old_password = serializers.CharField(trim_whitespace=False, max_length=128)
    new_password = serializers.CharField(trim_whitespace=False, max_length=128)


@extend_schema(request=PasswordChangeInput, responses={204: None})
@api_view(["POST"])
def password_change(request: Request) -> Response:
    """Change your password (the page's form and rules); every session and API token of the
    account ends, this one included."""
    from django.contrib.auth.forms import PasswordChangeForm

    from .services import user_password_change

    payload = PasswordChangeInput(data=request.data)
    payload.is_valid(raise_exception=True)
    data = payload.validated_data
    form = PasswordChangeForm(
        request.user,
        {
            "old_password": data["old_password"],
            "new_password1": data["new_password"],
            "new_password2": data["new_password"],
        },
    )
    if not form.is_valid():
        if form.has_error("old_password", "password_incorrect"):
            locked = wrong_current_password(request._request, request.user)
            if locked is not None:
                if isinstance(request.auth, AuthToken):
                    request.auth.delete()  # the token ends with the session
                return locked
        errors = {
            ("new_password" if field.startswith("new_password") else field): [
                str(message) for message in messages
            ]
            for field, messages in form.errors.items()
        }
        raise serializers.ValidationError(errors)
    user_password_change(actor=request.user, new_password=form.cleaned_data["new_password1"])
    return Response(status=204)
