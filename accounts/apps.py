from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("账户与组织")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from . import schema  # noqa: F401  (registers the OpenAPI token scheme)
        from .sessions import session_started

        def on_login(sender, request, user, **kwargs):
            if request is not None and hasattr(request, "session"):
                session_started(request=request, user=user)

        user_logged_in.connect(on_login, dispatch_uid="accounts.session_started", weak=False)
