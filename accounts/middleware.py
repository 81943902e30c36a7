"""Every page needs login unless its view is marked public with @login_not_required.

The API is left to DRF, which answers 401/403 in the API error format instead of redirecting.
"""

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired


class LoginRequiredMiddleware(DjangoLoginRequired):
    open_prefixes = ("/api/", settings.STATIC_URL, "/admin/", "/i18n/")

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith(self.open_prefixes):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


from .sessions import SessionRulesMiddleware  # noqa: E402  (the settings name it here)

__all__ = ["LoginRequiredMiddleware", "SessionRulesMiddleware"]
