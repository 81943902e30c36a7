"""Project-wide middleware: request ids for logs and tasks, the storage-unavailable page, and
no caching of what a signed-in user was shown."""

from __future__ import annotations

import re
import uuid

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control

from .errors import StorageUnavailable
from .observability import request_id_var

# An incoming id is kept only if it is short and harmless (it ends up in every log line).
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class RequestIdMiddleware:
    """Give each request an id (or keep a sane incoming X-Request-ID) and echo it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


class StorageUnavailableMiddleware:
    """A page whose file store is away answers 503 with a clear message (the API has its own)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if not isinstance(exception, StorageUnavailable):
            return None
        response = render(
            request, "errors/unavailable.html", {"message": exception.message}, status=503
        )
        response["Retry-After"] = "30"
        return response


class PrivateNoStoreMiddleware:
    """A response to a signed-in user (session or API token) that sets no caching of its own
    is `private, no-store`: bank details, applications and receipts stayed in the browser's
    cache after logout, on a shared computer. Public pages keep their own rules."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            return response
        user = getattr(request, "user", None)  # DRF sets the token's user here too
        if (user is not None and user.is_authenticated) or "HTTP_AUTHORIZATION" in request.META:
            patch_cache_control(response, private=True, no_store=True)
        return response
