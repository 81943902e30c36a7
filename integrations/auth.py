"""API access for integrating platforms: `Authorization: Api-Key <key>`, scopes, a rate per key."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions, throttling

from .keys import key_matches, key_prefix
from .models import ServiceAccount


class ServiceAccountAuthentication(authentication.BaseAuthentication):
    keyword = "Api-Key"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode(errors="replace")
        if not header.startswith(self.keyword + " "):
            if header:  # a portal token (or anything else): say which credential this needs
                raise exceptions.AuthenticationFailed(
                    _("对接接口须使用对接密钥：请求头 Authorization: %(keyword)s <密钥>。")
                    % {"keyword": self.keyword}
                )
            return None
        key = header[len(self.keyword) + 1 :].strip()
        prefix = key_prefix(key)
        account = ServiceAccount.objects.filter(key_prefix=prefix).first() if prefix else None
        if account is None or not key_matches(key, account.key_hash):
            raise exceptions.AuthenticationFailed(_("对接密钥无效。"))
        if account.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("该对接密钥已吊销。"))
        if account.expires_at is not None and account.expires_at <= timezone.now():
            raise exceptions.AuthenticationFailed(_("该对接密钥已过期，请联系安全管理员更换。"))
        ServiceAccount.objects.filter(pk=account.pk).update(last_used_at=timezone.now())
        return (None, account)

    def authenticate_header(self, request) -> str:
        return self.keyword


class ServiceAccountScheme(OpenApiAuthenticationExtension):
    target_class = "integrations.auth.ServiceAccountAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization"}


def has_scope(scope: str) -> type[permissions.BasePermission]:
    class HasScope(permissions.BasePermission):
        message = _("该对接账号没有此项权限。")

        def has_permission(self, request, view) -> bool:
            account = request.auth
            return isinstance(account, ServiceAccount) and scope in account.scopes

    HasScope.__name__ = f"HasScope_{scope}"
    return HasScope


class ServiceAccountThrottle(throttling.SimpleRateThrottle):
    scope = "integration"

    def get_cache_key(self, request, view) -> str | None:
        account = request.auth
        if not isinstance(account, ServiceAccount):
            return None
        return f"throttle_integration_{account.pk}"
