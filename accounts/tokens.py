"""API tokens: django-rest-knox (hashed, expiring, revocable), with our lifetimes."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from knox.auth import TokenAuthentication
from knox.models import AuthToken
from rest_framework import exceptions
from rest_framework.authentication import get_authorization_header

from audit.services import audit_security_event

from .models import User
from .twofactor import is_staff_account


def token_lifetime(user: User) -> timedelta:
    if is_staff_account(user):
        return timedelta(hours=settings.API_TOKEN_TTL_STAFF_HOURS)
    return timedelta(days=settings.API_TOKEN_TTL_ENTERPRISE_DAYS)


@transaction.atomic
def token_issue(*, user: User) -> tuple[str, AuthToken]:
    """An API sign-in: audited like a page login (who, when, from where)."""
    instance, key = AuthToken.objects.create(user=user, expiry=token_lifetime(user))
    audit_security_event(
        actor=user,
        action="security.token_issue",
        detail={"expiry": instance.expiry.isoformat(), "token": instance.token_key},
    )
    return key, instance


def tokens_revoke(*, user: User) -> int:
    """Every token of the account (a password change, which audits it; or the user's ?all=1)."""
    return AuthToken.objects.filter(user=user).delete()[0]


@transaction.atomic
def token_sign_out(*, user: User, token: AuthToken | None, every: bool) -> int:
    """An API sign-out (this token, or every one of the account), audited."""
    if every:
        revoked = tokens_revoke(user=user)
    elif token is not None:
        revoked = AuthToken.objects.filter(pk=token.pk).delete()[0]
    else:
        revoked = 0
    audit_security_event(
        actor=user, action="security.token_revoke", detail={"revoked": revoked, "all": every}
    )
    return revoked


class PortalTokenAuthentication(TokenAuthentication):
    """Knox tokens, refused once the password changed after they were issued."""

    def authenticate(self, request):
        header = get_authorization_header(request)
        if header.startswith(b"Api-Key "):
            # An integration key on a user endpoint: say so, not "no credentials provided".
            raise exceptions.AuthenticationFailed(
                _(
                    "对接密钥（Api-Key）只能调用 /api/v1/integration/ 下的对接接口；"
                    "本接口须使用用户令牌（Authorization: %(prefix)s <令牌>）。"
                )
                % {"prefix": self.authenticate_header(request)}
            )
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed as exc:
            raise exceptions.AuthenticationFailed(
                _("令牌无效、已过期或已被撤销，请重新获取。")
            ) from exc

    def validate_user(self, auth_token):
        user, token = super().validate_user(auth_token)
        if user.password_changed_at and token.created < user.password_changed_at:
            token.delete()
            raise exceptions.AuthenticationFailed("password changed")
        return user, token
