"""Error pages users can act on (403, 404, 405, 500, 503) and the database-unavailable answer.

A page that fails because the database is away must not need the database to explain it:
the 500 and 503 pages render without the request's context processors (no navigation,
no session), in the site layout and the language the request chose.
"""

from __future__ import annotations

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.common import CommonMiddleware as DjangoCommonMiddleware
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30
# PostgreSQL's answers when two transactions collide (deadlock_detected, serialization_failure,
# lock_not_available): the database is fine and nothing was committed; the user retries.
CONTENTION_CODES = frozenset({"40P01", "40001", "55P03"})


def is_contention(exception: BaseException) -> bool:
    return getattr(exception.__cause__, "pgcode", None) in CONTENTION_CODES


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _resolves(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def _texts(status: int) -> tuple[str, str]:
    return {
        403: (_("您无权访问此页面"), _("如需访问，请联系本单位管理员或主管部门开通相应权限。")),
        404: (_("页面不存在"), _("您访问的页面不存在或已被移除，请检查地址，或从首页重新进入。")),
        405: (
            _("该操作须在页面上点击按钮完成"),
            _(
                "这个地址只接受页面上按钮提交的操作（例如从历史记录或书签打开时）。请返回上一页重新操作。"
            ),
        ),
        409: (
            _("操作冲突，未生效"),
            _("其他人正在同时处理相关记录，您的这次操作未生效，内容未丢失。请刷新页面后重试。"),
        ),
        500: (_("系统出现错误"), _("系统处理您的请求时出错，已记录该问题。请稍后再试。")),
        503: (
            _("系统暂时不可用"),
            _("系统正在维护或数据库暂时无法连接，您提交的内容未丢失。请稍候约半分钟后点击“重试”。"),
        ),
    }[status]


def _page(request: HttpRequest, status: int, *, standalone: bool) -> HttpResponse:
    title, advice = _texts(status)
    context = {"status": status, "title": title, "advice": advice, "retry": status >= 500}
    if standalone:  # no context processors: they would query the database
        body = render_to_string("errors/error.html", {**context, "request": request})
        response = HttpResponse(body, status=status)
    else:
        response = render(request, "errors/error.html", context, status=status)
    if status == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def unavailable_response(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        response = JsonResponse(
            {
                "code": "unavailable",
                "message": _texts(503)[1],
                "detail": {"retry_after_seconds": RETRY_AFTER_SECONDS},
            },
            status=503,
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return _page(request, 503, standalone=True)


def contention_response(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return _api_error(409, "concurrent_update", _texts(409)[1])
    return _page(request, 409, standalone=True)


class DatabaseUnavailableMiddleware:
    """A lost database (OperationalError, InterfaceError) answers 503, never a 500; a
    collision with another transaction (a deadlock the database broke) answers 409."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if isinstance(exception, OperationalError) and is_contention(exception):
            logger.warning("Concurrent update on %s: %s", request.path, exception)
            return contention_response(request)
        if isinstance(exception, UNAVAILABLE):
            logger.error("Database unavailable on %s: %s", request.path, exception)
            return unavailable_response(request)
        return None


class MethodNotAllowedPageMiddleware:
    """A page's action address opened from history or a bookmark (GET where only its button's
    POST is allowed) shows the portal's page, not the browser's bare "HTTP ERROR 405"."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 405 or _is_api(request) or response.content:
            return response
        page = _page(request, 405, standalone=False)
        if response.has_header("Allow"):
            page["Allow"] = response["Allow"]
        return page


def _api_error(status: int, code: str, message: str | None = None) -> JsonResponse:
    payload = {"code": code, "message": message or _texts(status)[0], "detail": {}}
    return JsonResponse(payload, status=status)


def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    """400 outside a view (a body over DATA_UPLOAD_MAX_MEMORY_SIZE read by a middleware, a
    bad Host): the API answers its error format; 413 for a body that is too large."""
    if _is_api(request):
        from django.core.exceptions import RequestDataTooBig

        from .api import too_large_payload

        if isinstance(exception, RequestDataTooBig):
            return JsonResponse(too_large_payload(), status=413)
        return JsonResponse(
            {"code": "bad_request", "message": _("请求格式有误。"), "detail": {}}, status=400
        )
    from django.views.defaults import bad_request as django_bad_request

    return django_bad_request(request, exception)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a form sent without its page's token (an expired page, cookies
    blocked) gets the portal's page that says what to do, not Django's English one."""
    if _is_api(request):
        from .api import CSRF_REFUSED

        return _api_error(403, "csrf_failed", str(CSRF_REFUSED))
    context = {
        "status": 403,
        "title": _("页面已过期，提交未生效"),
        "advice": _(
            "为保护您的账户，每次提交都须带有页面的安全令牌。请返回上一页，刷新后重新提交；"
            "如仍不行，请允许浏览器为本站保存 Cookie。"
        ),
        "retry": False,
    }
    return render(request, "errors/error.html", context, status=403)


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    if _is_api(request):
        return _api_error(403, "forbidden")
    return _page(request, 403, standalone=False)


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    if _is_api(request):
        if not request.path.endswith("/") and _resolves(request.path + "/"):
            message = _("接口地址须以“/”结尾：%(path)s") % {"path": request.path + "/"}
            return _api_error(404, "not_found", message)
        return _api_error(404, "not_found")
    return _page(request, 404, standalone=False)


def server_error(request: HttpRequest) -> HttpResponse:
    # Also reached when a middleware (sessions, auth) lost the database before any view ran.
    if isinstance(sys.exc_info()[1], UNAVAILABLE):
        return unavailable_response(request)
    if _is_api(request):
        return _api_error(500, "server_error")
    return _page(request, 500, standalone=True)


class CommonMiddleware(DjangoCommonMiddleware):
    """Django's, except that an API address is never redirected to add its slash.

    A 301 turns a client's POST into a GET of the same list: the client saw a 200 and the
    body was lost. The API answers 404 in its format instead, naming the address to use.
    """

    def should_redirect_with_slash(self, request: HttpRequest) -> bool:
        return not _is_api(request) and super().should_redirect_with_slash(request)
