from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from xianyang_portal.errors import DomainError
from xianyang_portal.views import apply_error_to_form

from . import services
from .forms import OrganisationProfileForm, RegistrationForm, StaffUserForm
from .models import Role
from .selectors import (
    notifications_visible_to,
    organisations_of_member,
    staff_users_visible_to,
    user_scopes,
)


@login_not_required
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
    if not user_scopes(request.user).has(Role.POLICY_ADMIN):
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
        {"form": form, "staff": staff_users_visible_to(user=request.user)},
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
    messages.success(request, _("已将 %(n)d 条消息标为已读。") % {"n": count})
    return redirect("accounts:messages")
