"""The client address, read one way by lockout, rate limits and the audit log."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, or the address the trusted proxy saw (TRUSTED_PROXY_HEADER).

    With a header such as X-Forwarded-For, a client can prepend any address it likes; only
    the entries appended by our own proxies are trusted, so we take the TRUSTED_PROXY_COUNT-th
    entry from the right.
    """
    header = settings.TRUSTED_PROXY_HEADER
    if header:
        values = [v.strip() for v in request.META.get(header, "").split(",") if v.strip()]
        count = max(settings.TRUSTED_PROXY_COUNT, 1)
        if len(values) >= count:
            return values[-count]
    return request.META.get("REMOTE_ADDR") or "0.0.0.0"  # noqa: S104 - an unknown address
