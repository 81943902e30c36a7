from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("平台对接与免申即享")

    def ready(self) -> None:
        from . import webhooks  # noqa: F401 - observes every status change for subscribers
