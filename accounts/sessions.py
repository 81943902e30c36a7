"""Session rules: an idle timeout and an absolute end for every signed-in user (shorter for
staff); for staff also the second factor, one session at a time and the password's age."""

from __future__ import annotations

import time
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from .models import Role, User
from .selectors import user_scopes
from .twofactor import has_second_factor, is_staff_account

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
LOGIN_AT = "portal_login_at"
LAST_SEEN = "portal_last_seen"
# Writing the session on every request is not needed for a 30-minute idle limit.
LAST_SEEN_RESOLUTION = 60


def session_started(*, request: HttpRequest, user: User) -> None:
    """At every login (user_logged_in): stamp the session; a staff login ends the older one."""
    session = request.session
    now = time.time()
    session[LOGIN_AT] = now
    session[LAST_SEEN] = now
    idle, _maximum = _limits(user)
    session.set_expiry(idle)
    if not is_staff_account(user):
        return
    if session.session_key is None:
        session.save()
    previous = user.last_session_key
    if previous and previous != session.session_key:
        session.__class__(session_key=previous).delete()
    User.objects.filter(pk=user.pk).update(last_session_key=session.session_key)
    user.last_session_key = session.session_key


def auditor_write_refused(request: HttpRequest) -> HttpResponse:
    """The auditor reads everything and changes nothing: every write is refused up front."""
    message = _("审计员为只读账户，不能进行任何修改操作。")
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "read_only", "message": message, "detail": {}}, status=403)
    return HttpResponseForbidden(message)


INITIAL_PASSWORD_MESSAGE = _lazy("首次登录请先修改安全管理员设置的初始密码。")


def password_expired(user: User) -> bool:
    changed = user.password_changed_at or user.date_joined
    return changed + timedelta(days=settings.STAFF_PASSWORD_MAX_AGE_DAYS) < timezone.now()


def _signed_out(request: HttpRequest, message: str, code: str) -> HttpResponse:
    logout(request)
    if request.path.startswith("/api/"):
        return JsonResponse({"code": code, "message": message, "detail": {}}, status=401)
    messages.warning(request, message)
    return redirect(f"{reverse('accounts:login')}?{urlencode({'next': request.get_full_path()})}")


def _exempt(path: str) -> bool:
    return path.startswith(
        (
            settings.STATIC_URL,
            "/i18n/",
            reverse("accounts:logout"),
            reverse("accounts:otp_enrol"),
            reverse("accounts:password_change"),
        )
    )


def _limits(user: User) -> tuple[int, int]:
    """(idle seconds, absolute seconds) of this user's sessions."""
    if is_staff_account(user):
        return settings.STAFF_SESSION_IDLE_SECONDS, settings.STAFF_SESSION_MAX_SECONDS
    return settings.ENTERPRISE_SESSION_IDLE_SECONDS, settings.ENTERPRISE_SESSION_MAX_SECONDS


class SessionRulesMiddleware:
    """After django-otp's middleware: enforce the session rules on every request."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            refusal = self._check_times(request, user)
            if refusal is None and is_staff_account(user):
                refusal = self._check(request, user)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    @staticmethod
    def _check_times(request: HttpRequest, user: User) -> HttpResponse | None:
        """Idle timeout and absolute end (等保: every user's session ends by itself)."""
        idle, maximum = _limits(user)
        session: SessionBase = request.session
        now = time.time()
        login_at = session.get(LOGIN_AT, now)
        last_seen = session.get(LAST_SEEN, now)
        if now - last_seen > idle:
            return _signed_out(
                request,
                _("您已超过%(minutes)d分钟未操作，已自动退出，请重新登录。")
                % {"minutes": idle // 60},
                "session_idle",
            )
        if now - login_at > maximum:
            return _signed_out(
                request,
                _("登录已超过%(hours)d小时，请重新登录。") % {"hours": maximum // 3600},
                "session_expired",
            )
        if now - last_seen >= LAST_SEEN_RESOLUTION or LAST_SEEN not in session:
            session[LAST_SEEN] = now
            session.set_expiry(idle)
        if LOGIN_AT not in session:
            session[LOGIN_AT] = now
        return None

    def _check(self, request: HttpRequest, user: User) -> HttpResponse | None:
        """The staff rules: read-only auditor, second factor, password age."""
        if _exempt(request.path):
            return None
        if request.method not in SAFE_METHODS and user_scopes(user).has(Role.AUDITOR):
            return auditor_write_refused(request)
        if not user.is_verified():
            if has_second_factor(user):
                return _signed_out(request, _("工作人员账户须使用动态验证码登录。"), "otp_required")
            return self._redirect_or_refuse(
                request, "accounts:otp_enrol", _("请先绑定动态验证码（两步验证）。"), "otp_enrol"
            )
        if user.password_must_change:
            return self._redirect_or_refuse(
                request,
                "accounts:password_change",
                INITIAL_PASSWORD_MESSAGE,
                "initial_password",
            )
        if password_expired(user):
            return self._redirect_or_refuse(
                request,
                "accounts:password_change",
                _("密码已超过%(days)d天未修改，请先修改密码。")
                % {"days": settings.STAFF_PASSWORD_MAX_AGE_DAYS},
                "password_expired",
            )
        return None

    @staticmethod
    def _redirect_or_refuse(request, url_name: str, message: str, code: str) -> HttpResponse:
        if request.path.startswith("/api/"):
            return JsonResponse({"code": code, "message": message, "detail": {}}, status=403)
        messages.warning(request, message)
        return redirect(url_name)
