from __future__ import annotations

import segno
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_ratelimit.decorators import ratelimit

from core.errors import DomainError
from core.views import apply_error_to_form, flash_error

from . import services
from .forms import (
    OrganisationProfileForm,
    OtpConfirmForm,
    PortalLoginForm,
    RegistrationForm,
    StaffUserForm,
)
from .lockout import rate, wrong_current_password
from .models import Role
from .selectors import (
    notifications_visible_to,
    organisations_of_member,
    staff_users_visible_to,
    user_scopes,
)
from .twofactor import enrolment_confirm, enrolment_device, has_second_factor, totp_base32


@login_not_required
@ratelimit(key="ip", rate=rate("register"), method="POST", block=True)
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            _organisation, user = services.organisation_register(
                uscc=data["uscc"],
                legal_name=data["legal_name"],
                kind=data["kind"],
                place=data["place"],
                industry=data["industry"],
                contact_name=data["full_name"],
                contact_phone=data["contact_phone"],
                contact_email=data["contact_email"],
                username=data["username"],
                password=data["password1"],
                full_name=data["full_name"],
            )
        except (ValidationError, DomainError) as exc:
            apply_error_to_form(form, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("注册成功，欢迎使用咸阳市惠企政策申报平台。"))
            return redirect("accounts:home")
    return render(request, "accounts/register.html", {"form": form})


def home(request: HttpRequest) -> HttpResponse:
    """Each role lands on its own work page; this is the shared landing page."""
    scopes = user_scopes(request.user)
    context = {
        "organisations": organisations_of_member(user=request.user),
        "role_labels": [Role(role).label for role in sorted(scopes.roles)],
        "latest_messages": notifications_visible_to(user=request.user).filter(read_at__isnull=True)[
            :5
        ],
    }
    return render(request, "accounts/home.html", context)


def _member_organisation(request: HttpRequest):
    organisation = organisations_of_member(user=request.user).first()
    if organisation is None:
        raise Http404(_("您尚未关联任何申报主体。"))
    return organisation


@require_http_methods(["GET", "POST"])
def organisation_profile(request: HttpRequest) -> HttpResponse:
    organisation = _member_organisation(request)
    form = OrganisationProfileForm(request.POST or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        data = {field: form.cleaned_data[field] for field in form.Meta.fields}
        try:
            services.organisation_update_profile(
                actor=request.user, organisation=organisation, data=data
            )
        except (ValidationError, DomainError) as exc:
            apply_error_to_form(form, exc)
        else:
            messages.success(request, _("单位信息已保存。"))
            return redirect("accounts:organisation_profile")
    return render(
        request, "accounts/organisation_profile.html", {"form": form, "organisation": organisation}
    )


@require_http_methods(["GET", "POST"])
def staff_list(request: HttpRequest) -> HttpResponse:
    scopes = user_scopes(request.user)
    if not (scopes.has(Role.SECURITY_ADMIN) or scopes.has(Role.AUDITOR)):
        raise PermissionDenied
    if request.method == "POST" and not scopes.has(Role.SECURITY_ADMIN):
        raise PermissionDenied
    form = StaffUserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.staff_user_create(actor=request.user, **form.cleaned_data)
        except (ValidationError, DomainError) as exc:
            apply_error_to_form(form, exc)
        else:
            messages.success(request, _("已创建账户 %(name)s。") % {"name": user.username})
            return redirect("accounts:staff_list")
    return render(
        request,
        "accounts/staff_list.html",
        {
            "form": form if scopes.has(Role.SECURITY_ADMIN) else None,
            "staff": staff_users_visible_to(user=request.user),
            "can_manage": scopes.has(Role.SECURITY_ADMIN),
        },
    )


def message_list(request: HttpRequest) -> HttpResponse:
    """消息中心: the user's messages, newest first, unread marked; 50 per page."""
    page = Paginator(notifications_visible_to(user=request.user), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "accounts/messages.html", {"page": page})


@require_POST
def message_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark one message read and follow its link (a path inside the portal only)."""
    notification = get_object_or_404(
        notifications_visible_to(user=request.user), pk=notification_id
    )
    services.notifications_mark_read(actor=request.user, notification_ids=[notification.pk])
    link = notification.link
    if link and url_has_allowed_host_and_scheme(link, allowed_hosts=None):
        return redirect(link)
    return redirect("accounts:messages")


@require_POST
def messages_read_all(request: HttpRequest) -> HttpResponse:
    count = services.notifications_mark_read(actor=request.user)
    text = ngettext("已将 %(n)d 条消息标为已读。", "已将 %(n)d 条消息标为已读。", count)
    messages.success(request, text % {"n": count})
    return redirect("accounts:messages")


@method_decorator(
    ratelimit(key="ip", rate=rate("login"), method="POST", block=True), name="dispatch"
)
class PortalLoginView(auth_views.LoginView):
    """Password, then (same form) the second factor for staff; django-axes counts failures."""

    template_name = "accounts/login.html"
    form_class = PortalLoginForm

    def form_valid(self, form):
        user = form.get_user()
        login(self.request, user)
        if form.otp_device is not None:
            otp_login(self.request, form.otp_device)
        return redirect(self.get_success_url())


portal_login = login_not_required(PortalLoginView.as_view())


@require_http_methods(["GET", "POST"])
def otp_enrol(request: HttpRequest) -> HttpResponse:
    """Bind an authenticator app: QR code and secret, confirm with a code, get backup codes."""
    if request.user.is_verified() and has_second_factor(request.user):
        messages.info(request, _("您已绑定动态验证码；如需更换，请联系安全管理员重置。"))
        return redirect("accounts:home")
    device = enrolment_device(request.user)
    form = OtpConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = enrolment_confirm(
            actor=request.user, device_id=device.pk, token=form.cleaned_data["token"]
        )
        if codes is None:
            form.add_error("token", _("动态验证码不正确，请核对手机时间后重试。"))
        else:
            device.refresh_from_db()
            otp_login(request, device)
            return render(request, "accounts/otp_backup_codes.html", {"codes": codes})
    return render(
        request,
        "accounts/otp_enrol.html",
        {"form": form, "secret": totp_base32(device), "device": device},
    )


def otp_qr(request: HttpRequest) -> HttpResponse:
    """The enrolling device's otpauth:// URI as an SVG QR code (never for a confirmed device)."""
    if has_second_factor(request.user) and request.user.is_verified():
        raise Http404
    device = enrolment_device(request.user)
    svg = segno.make(device.config_url, error="m").svg_inline(scale=4)
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    """Change the password; every session and API token of the account ends."""
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.user_password_change(
            actor=request.user, new_password=form.cleaned_data["new_password1"]
        )
        logout(request)
        messages.success(request, _("密码已修改，所有会话和API令牌已失效，请重新登录。"))
        return redirect("accounts:login")
    if form.has_error("old_password", "password_incorrect"):
        locked = wrong_current_password(request, request.user)
        if locked is not None:
            return locked
    return render(request, "accounts/password_change.html", {"form": form})


@require_POST
def staff_security_action(request: HttpRequest, user_id: int, action: str) -> HttpResponse:
    """The security administrator's buttons: reset the second factor, unlock, remove a role."""
    target = get_object_or_404(staff_users_visible_to(user=request.user), pk=user_id)
    operations = {
        "otp-reset": (services.user_otp_reset, _("已重置 %(name)s 的两步验证。")),
        "unlock": (services.user_unlock, _("已解除 %(name)s 的登录锁定。")),
    }
    if action not in operations:
        raise Http404
    operation, done = operations[action]
    try:
        operation(actor=request.user, user=target)
    except DomainError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, done % {"name": target.username})
    return redirect("accounts:staff_list")


class AuditedPasswordResetView(auth_views.PasswordResetView):
    """Django's reset request, with the request recorded in the audit trail."""

    def form_valid(self, form):
        response = super().form_valid(form)
        users = list(form.get_users(form.cleaned_data["email"]))
        services.password_reset_requested(request=self.request, users=users)
        return response


class AuditedPasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's reset by the mailed link, with the new password recorded as set."""

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_reset_completed(request=self.request, user=form.user)
        return response
