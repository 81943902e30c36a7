"""DRF throttles keyed on the configured client address (accounts.network.client_ip)."""

from __future__ import annotations

from rest_framework.throttling import SimpleRateThrottle

from .network import client_ip


class AddressRateThrottle(SimpleRateThrottle):
    """One bucket per client address for an operation (`scope` names its rate)."""

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request._request)}

    def get_rate(self):
        # Read at request time, so a changed setting (tests, operations) applies at once.
        from rest_framework.settings import api_settings

        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def allow_request(self, request, view):
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


class TokenThrottle(AddressRateThrottle):
    scope = "token"


class CalculatorThrottle(AddressRateThrottle):
    scope = "calculator"


class PageRateThrottle(AddressRateThrottle):
    """The same rate per address as the page doing the same (settings.RATE_LIMITS[scope])."""

    def get_rate(self):
        from django.conf import settings

        return settings.RATE_LIMITS[self.scope]


class ObjectionThrottle(PageRateThrottle):
    scope = "objection"


class VerifyThrottle(PageRateThrottle):
    scope = "verify"
