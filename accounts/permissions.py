"""DRF permissions shared by every API operation."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from .models import Role
from .selectors import user_scopes


class AuditorReadOnly(BasePermission):
    """The auditor reads everything and changes nothing (token callers included)."""

    message = _("审计员为只读账户，不能进行任何修改操作。")

    def has_permission(self, request, view) -> bool:
        if request.method not in getattr(view, "allowed_methods", ()):
            return True  # let the method be refused as such (405), not as the auditor's (403)
        return request.method in SAFE_METHODS or not user_scopes(request.user).has(Role.AUDITOR)
