"""API error format: every 4xx is {"code", "message", "detail"}."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import DomainError
from .text import parse_id


def _first_message(detail: Any) -> str:
    if isinstance(detail, dict):
        for key, value in detail.items():
            inner = _first_message(value)
            return inner if key in ("non_field_errors", "detail") else f"{key}: {inner}"
        return ""
    if isinstance(detail, list | tuple):
        return _first_message(detail[0]) if detail else ""
    return str(detail)


# A write sent with a session cookie but without the page's CSRF token (the API with a
# token needs none).
CSRF_REFUSED = _lazy(
    "请求缺少有效的安全令牌（CSRF），未执行。请刷新页面后重试；接口调用请使用 Token 认证。"
)


def _is_chinese(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


def too_large_payload() -> dict[str, Any]:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return {
        "code": "too_large",
        "message": _("请求内容过大，上限为 %(mb)d MB。") % {"mb": limit // 1024 // 1024},
        "detail": {"max_bytes": limit},
    }


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, RequestDataTooBig):
        return Response(too_large_payload(), status=413)
    if isinstance(exc, DomainError):
        return Response(
            {"code": exc.code, "message": exc.message, "detail": exc.detail},
            status=exc.status_code,
        )
    if isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, exceptions.PermissionDenied) and str(exc.detail).startswith("CSRF"):
        # DRF's session authentication words it in English ("CSRF Failed: …").
        exc = exceptions.PermissionDenied(CSRF_REFUSED, code="csrf_failed")
    elif isinstance(exc, exceptions.ParseError) and not _is_chinese(str(exc.detail)):
        # DRF's own parsers' texts are English and technical ("Invalid boundary in multipart");
        # ours (core.parsers) say in Chinese what is wrong, and are kept.
        exc = exceptions.ParseError(
            _("请求内容无法解析，请检查格式（JSON 或带 boundary 的 multipart/form-data）。"),
            code="parse_error",
        )

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        payload = {
            "code": "invalid",
            "message": _("提交的数据有误：%(first)s") % {"first": _first_message(exc.detail)},
            "detail": exc.detail,
        }
    else:
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        payload = {
            "code": codes if isinstance(codes, str) else "error",
            "message": str(getattr(exc, "detail", exc)),
            "detail": {},
        }
    if isinstance(exc, exceptions.Throttled) and exc.wait:
        payload["detail"] = {"retry_after_seconds": int(exc.wait)}
    response.data = payload
    return response


def query_round_id(request) -> int | None:
    """`?round=<id>`: None when absent, else a positive id that fits the database's integer
    (a 20-digit id overflowed the driver: a 500)."""
    raw = request.query_params.get("round", "")
    if not raw:
        return None
    if (value := parse_id(raw)) is not None:
        return value
    message = _("round 须为批次编号（整数）。")
    raise DomainError(message, code="invalid", detail={"round": [message]})


TRUE_WORDS, FALSE_WORDS = ("true", "1"), ("false", "0", "")


def query_flag(request, name: str) -> bool:
    """`?name=true|1|false|0`; anything else is refused (an ignored filter returned everything)."""
    raw = request.query_params.get(name, "").strip().lower()
    if raw in TRUE_WORDS or raw in FALSE_WORDS:
        return raw in TRUE_WORDS
    message = _("%(name)s 须为 true 或 false。") % {"name": name}
    raise DomainError(message, code="invalid", detail={name: [message]})


def query_choice(request, name: str, choices) -> str:
    """`?name=<one of choices>` or absent (""); anything else is refused by name."""
    raw = request.query_params.get(name, "").strip()
    if not raw or raw in choices:
        return raw
    message = _("%(name)s 须为以下之一：%(choices)s。") % {
        "name": name,
        "choices": "、".join(choices),
    }
    raise DomainError(message, code="invalid", detail={name: [message]})
