"""Every audit event a request records carries the client's address (等保: who, when, where)."""

from __future__ import annotations

from .services import client_ip, request_ip_var


class AuditRequestMiddleware:
    """After authentication and the proxy rules: the address django-axes sees for the login."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = request_ip_var.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            request_ip_var.reset(token)
