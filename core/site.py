"""The portal's public address for links that leave the page (letters' QR code, emails).

`SITE_URL` when it is set (production must set it). On a developer machine it may be left
unset: the address is then taken from the host of the latest request (local settings add
`SiteURLMiddleware`), so a letter made from a page opened at http://192.168.1.5:8000 links
there, not to 127.0.0.1.
"""

from __future__ import annotations

from django.conf import settings

FALLBACK = "http://127.0.0.1:8000"
_observed = {"url": ""}


def site_url() -> str:
    return (settings.SITE_URL or _observed["url"] or FALLBACK).rstrip("/")


def observe_site_url(url: str) -> None:
    """The address the portal is being reached at (a request's host, or the demo's --url)."""
    if not settings.SITE_URL:
        _observed["url"] = url.rstrip("/")


class SiteURLMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not settings.SITE_URL:
            observe_site_url(request.build_absolute_uri("/"))
        return self.get_response(request)
