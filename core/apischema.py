"""What every API operation shares in its schema: the page envelope and the error format.

- `paginated(Output)`: the envelope PageNumberPagination answers ({count, next, previous,
  results}), declared as its own component so a list is never documented as a plain array.
- `paginate(request, rows, Output)`: the one way a list operation pages (50 per page, ?page=).
- `error_responses` (a drf-spectacular postprocessing hook): every operation documents the
  4xx answers of `core.api.exception_handler` as the `Error` component
  `{code, message, detail}`.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

PAGE_SIZE = 50


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="machine-readable reason, e.g. invalid, not_found")
    message = serializers.CharField(help_text="the user-facing message (Chinese or English)")
    detail = serializers.JSONField(help_text="per-field messages or extra facts; {} if none")


_PAGES: dict[str, serializers.Serializer] = {}


def paginated(output: type[serializers.Serializer], *, name: str | None = None):
    """The page envelope around `output` rows, as one named schema component."""
    component = name or f"Paginated{_component_name(output)}List"
    if component not in _PAGES:
        _PAGES[component] = inline_serializer(
            component,
            {
                "count": serializers.IntegerField(),
                "next": serializers.URLField(allow_null=True),
                "previous": serializers.URLField(allow_null=True),
                "results": output(many=True),
            },
        )
    return _PAGES[component]


def _component_name(output: type[serializers.Serializer]) -> str:
    name = output.__name__
    if name in ("OutputSerializer", "Serializer"):  # nested in the view: name it by the module
        name = output.__qualname__.split(".")[0].title().replace("_", "")
    return name.removesuffix("Serializer")


class PortalPagination(PageNumberPagination):
    page_size = PAGE_SIZE


def paginate(
    request: Request, rows, output: type[serializers.Serializer], *, context=None
) -> Response:
    paginator = PortalPagination()
    page = paginator.paginate_queryset(rows, request)
    return paginator.get_paginated_response(
        output(page, many=True, context=context or {"request": request}).data
    )


# --- errors in the schema -----------------------------------------------------------------

ERROR_STATUSES = {
    "400": _("输入有误（code=invalid 等，detail 按字段列出）"),
    "401": _("未认证：缺少或无效的令牌"),
    "403": _("无权执行此操作"),
    "404": _("对象不存在或不可见"),
    "409": _("状态冲突（例如已被他人处理）"),
    "413": _("请求体过大（code=too_large）"),
    "415": _("不支持的内容类型"),
    "429": _("请求过于频繁（detail.retry_after_seconds）"),
    "503": _("数据库或消息队列暂时不可用（code=unavailable）"),
}
ERROR_REF = {"$ref": "#/components/schemas/Error"}


def _error_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "code": {"type": "string"},
            "message": {"type": "string"},
            "detail": {},
        },
        "required": ["code", "message", "detail"],
    }


def error_responses(result: dict, generator, request, public) -> dict:
    """Postprocessing hook: add the Error component and the error answers to every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = _error_schema()
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            for status, description in ERROR_STATUSES.items():
                existing = responses.get(status)
                if existing is None:
                    responses[status] = {
                        "description": str(description),
                        "content": {"application/json": {"schema": ERROR_REF}},
                    }
                elif status == "503" and "content" in existing:
                    # an operation with its own 503 body (readiness) also answers Error when the
                    # database is away before the view runs
                    schema = existing["content"]["application/json"]["schema"]
                    existing["content"]["application/json"]["schema"] = {
                        "oneOf": [schema, ERROR_REF]
                    }
    return result


# --- operation ids: the URL name and the method ------------------------------------------

METHOD_SUFFIX = {"get": "get", "post": "post", "put": "put", "patch": "patch", "delete": "delete"}


def _api_url_names() -> dict[str, str]:
    """`/api/v1/letters/{letter_id}/download/` → `letter-download`, for every API route (read
    from the resolver, so this module does not import the URL configuration that imports it)."""
    import re

    from django.urls import URLPattern, URLResolver, get_resolver

    names: dict[str, str] = {}
    for api in get_resolver().url_patterns:
        if isinstance(api, URLResolver) and api.namespace == "api":
            for pattern in api.url_patterns:
                if isinstance(pattern, URLPattern) and pattern.name:
                    path = f"/{api.pattern}{pattern.pattern}"
                    names[re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path)] = pattern.name
    return names


class PortalAutoSchema(AutoSchema):
    """Operation ids are `<url name>_<method>` (api:letter-download GET → letter_download_get),
    so the UI↔API coverage table (tests/test_api_coverage.py) names operations stably."""

    def get_operation_id(self):
        name = _api_url_names().get(self.path)
        if name is None:
            return super().get_operation_id()
        return f"{name.replace('-', '_')}_{METHOD_SUFFIX[self.method.lower()]}"
