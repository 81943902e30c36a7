"""What a locked-out or rate-limited client is told, on pages and in the API."""

from __future__ import annotations

from axes.helpers import get_cool_off
from django.contrib.auth import logout
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def lockout_response(request: HttpRequest, original_response=None, credentials=None):
    """django-axes calls this for a locked account or address: say when to try again."""
    cool_off = get_cool_off(request)
    retry_at = timezone.localtime(timezone.now() + cool_off) if cool_off else None
    minutes = int(cool_off.total_seconds() // 60) if cool_off else None
    message = (
        _(
            "登录失败次数过多，账户已暂时锁定。请于 %(time)s（约%(minutes)d分钟后）再试，或联系安全管理员解锁。"
        )
        % {"time": time_format(retry_at, "H:i"), "minutes": minutes}
        if retry_at
        else _("登录失败次数过多，账户已锁定，请联系安全管理员解锁。")
    )
    detail = {"retry_at": retry_at.isoformat() if retry_at else None}
    if _wants_json(request):
        return JsonResponse(
            {"code": "locked_out", "message": message, "detail": detail}, status=429
        )
    return render(
        request,
        "accounts/locked_out.html",
        {"message": message, "retry_at": retry_at},
        status=429,
    )


def wrong_current_password(request: HttpRequest, user) -> HttpResponse | None:
    """A wrong current password at the password change counts as a failed login of the
    account. Once that locks the account, this session ends too and the lockout answer is
    given: whoever holds a stolen session could otherwise guess the password without limit,
    then change it and keep the account."""
    user_login_failed.send(
        sender=__name__, credentials={"username": user.get_username()}, request=request
    )
    if not getattr(request, "axes_locked_out", False):
        return None
    logout(request)
    return lockout_response(request)


def ratelimited(request: HttpRequest, exception=None) -> HttpResponse:
    """django-ratelimit's view for a page asked too often from one address."""
    message = _("请求过于频繁，请稍后再试。")
    if _wants_json(request):
        return JsonResponse({"code": "throttled", "message": message, "detail": {}}, status=429)
    return render(request, "accounts/rate_limited.html", {"message": message}, status=429)


def rate(name: str):
    """A django-ratelimit rate read from settings.RATE_LIMITS at request time."""

    def current(group, request) -> str:
        from django.conf import settings

        return settings.RATE_LIMITS[name]

    return current
